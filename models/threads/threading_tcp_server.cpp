#include "models/threads/threading_tcp_server.hpp"

#include <sys/socket.h>

#include <thread>
#include <utility>

#include "models/core/blocking_tcp.hpp"
#include "models/core/tcp.hpp"

namespace cmbench::threads {

ThreadingTCPServer::ThreadingTCPServer(Handler handle)
    : handle_(std::move(handle)), listener_(blocking_tcp::listen()) {}

std::uint16_t ThreadingTCPServer::port() const {
  return tcp::local_port(listener_.get());
}

void ThreadingTCPServer::serve_forever() {
  // Connection threads are detached; the count of live ones is what serve_forever waits on.
  AcceptPauses pauses("ThreadingTCPServer");
  while (Fd connection = blocking_tcp::accept(listener_.get(), pauses)) {
    std::lock_guard lock(mutex_);
    ++live_;
    std::thread([this, connection = std::move(connection)]() mutable {
      handle_(std::move(connection));
      std::lock_guard lock(mutex_);
      if (--live_ == 0) all_done_.notify_all();
    }).detach();
  }
  std::unique_lock lock(mutex_);
  all_done_.wait(lock, [this] { return live_ == 0; });
}

// Shutting the listening socket down wakes a blocked accept, which then sees EINVAL.
void ThreadingTCPServer::shutdown() noexcept {
  ::shutdown(listener_.get(), SHUT_RDWR);
}

}  // namespace cmbench::threads
