// ping_pong, pipe: the floor of a hand-off between processes. fork, two pipes, and the token
// as 8 bytes: each end blocks in read() until it arrives, adds one and write()s it back.
// No library around it (the processes model's Process adds a result pipe and error
// reporting, which are outside the timed rounds anyway). The child reports what it saw
// through its exit status: 0 when it received R tokens and ran on its CPU.
#include <fcntl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <stdexcept>
#include <string>
#include <system_error>

#include "models/core/fd.hpp"
#include "models/core/span.hpp"
#include "ping_pong/spec.hpp"

namespace cmbench::ping_pong {
namespace {

struct Pair {
  Fd read, write;
};

Pair make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  return {Fd(fds[0]), Fd(fds[1])};
}

// One 8-byte read or write; a pipe moves 8 bytes whole (less than PIPE_BUF). False at the
// end of the stream or on an error.
bool get(int fd, std::int64_t& v) {
  ssize_t n;
  while ((n = ::read(fd, &v, sizeof v)) < 0 && errno == EINTR) {
  }
  return n == sizeof v;
}
bool put(int fd, std::int64_t v) {
  ssize_t n;
  while ((n = ::write(fd, &v, sizeof v)) < 0 && errno == EINTR) {
  }
  return n == sizeof v;
}

// The child's whole life: never returns.
[[noreturn]] void play_b(const Params& p, int in, int out) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(p.cpu_b, &one);
  if (::sched_setaffinity(0, sizeof one, &one) < 0) ::_exit(3);
  std::int64_t token = 0;
  if (!put(out, 0)) ::_exit(4);  // pinned and ready: not a hand-off
  for (std::int64_t i = 0; i < p.rounds; ++i)
    if (!get(in, token) || !put(out, token + 1)) ::_exit(5);
  ::_exit(::sched_getcpu() == p.cpu_b ? 0 : 6);
}

}  // namespace

Result pipe(const Params& p) {
  Pin pin(p.cpu_a);
  Pair there = make_pipe(), back = make_pipe();
  const pid_t child = ::fork();
  if (child < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (child == 0) play_b(p, there.read.get(), back.write.get());
  // Reaps the child however this ends: killed if the rounds did not finish.
  struct Reap {
    pid_t pid;
    bool done = false;
    int status = 0;
    ~Reap() {
      if (done) return;
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
  } reap{child};
  Result r;
  std::int64_t token = 0;
  if (!get(back.read.get(), token)) throw std::runtime_error("pipe: the child did not start");
  const std::int64_t start = monotonic_ns();
  for (std::int64_t i = 0; i < p.rounds; ++i) {
    if (!put(there.write.get(), token + 1) || !get(back.read.get(), token))
      throw std::runtime_error("pipe: the child went away");
    ++r.handoffs;
  }
  r.elapsed_ns = monotonic_ns() - start;
  r.cpu_a = current_cpu();
  while (::waitpid(child, &reap.status, 0) < 0)
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitpid");
  reap.done = true;
  if (!WIFEXITED(reap.status) || WEXITSTATUS(reap.status) != 0)
    throw std::runtime_error("pipe: the child ended with status " + std::to_string(reap.status));
  // The child exits 0 only after R receipts on its own CPU.
  r.handoffs += p.rounds;
  r.cpu_b = p.cpu_b;
  r.token = token;
  return r;
}

}  // namespace cmbench::ping_pong
