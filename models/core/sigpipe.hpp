// SIGPIPE blocked on the calling thread for a scope. A write to a peer that went away then
// fails with EPIPE rather than killing the process (SIGPIPE's default), for code that writes
// with write(2) or writev(2) and cannot pass MSG_NOSIGNAL: a child's stdin, libuv's streams
// (Node.js ignores SIGPIPE for the same reason). A SIGPIPE raised meanwhile stays pending on
// this thread; it is taken back before the thread's mask is restored, so it is never
// delivered. Thread-safety: one thread, the one that made it.
#pragma once

#include <signal.h>

#include <cerrno>
#include <ctime>

namespace cmbench {

class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_, &before_);
  }
  ~SigpipeBlocked() {
    const timespec now{};
    for (;;) {
      const int taken = ::sigtimedwait(&pipe_, nullptr, &now);
      if (taken == SIGPIPE || (taken < 0 && errno == EINTR)) continue;
      break;
    }
    ::pthread_sigmask(SIG_SETMASK, &before_, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  sigset_t pipe_, before_;
};

}  // namespace cmbench
