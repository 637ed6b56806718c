#include "models/coroutines/open_connection.hpp"

#include <sys/epoll.h>

#include <memory>
#include <string>
#include <system_error>

#include "models/core/host.hpp"
#include "models/coroutines/connection.hpp"
#include "models/coroutines/event_loop.hpp"

namespace cmbench::coroutines {
namespace detail {
namespace {

// Waits until a connecting socket is writable: connected, or failed.
class Connecting final : public Suspension {
 public:
  Connecting(Engine& reactor, int fd) : watcher_(reactor, fd, [this](std::uint32_t) { ready(); }) {}

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    watcher_.want(EPOLLOUT);  // may throw: before the task is suspended
    if (!begin(h)) return false;
    waiting_ = true;
    return true;
  }
  void await_resume() const { end(); }
  trace::Wait waits_on() const noexcept override { return trace::Wait::write; }
  bool withdraw() noexcept override {
    waiting_ = false;  // the watcher goes with this awaiter, at the task's next step
    cancelled_ = true;
    return true;
  }

 private:
  void ready() {
    if (!waiting_) return;  // level-triggered: it fires until the watcher goes
    waiting_ = false;
    task_->wake();
    watcher_.want(0);
  }

  Watcher watcher_;
  bool waiting_ = false;
};

}  // namespace
}  // namespace detail

Task<std::pair<StreamReader, StreamWriter>> open_connection(std::uint16_t port, std::size_t limit) {
  detail::check_limit(limit);
  Engine& reactor = detail::running_loop("open_connection").engine();
  const std::string where =
      "connect to " + host::server_address_text() + ":" + std::to_string(port);
  Fd socket;
  try {
    socket = tcp::connect(port);  // loopback may refuse at once
  } catch (const std::system_error& e) {
    std::rethrow_exception(detail::os_error(e.code().value(), where));
  }
  co_await detail::Connecting(reactor, socket.get());
  if (int err = tcp::connect_error(socket.get()))
    std::rethrow_exception(detail::os_error(err, where));
  auto c = std::make_shared<detail::Connection>(reactor, std::move(socket), limit);
  co_return std::pair{StreamReader(c), StreamWriter(c)};
}

Task<std::pair<StreamReader, StreamWriter>> open_connection(std::string_view host,
                                                            std::uint16_t port, std::size_t limit) {
  detail::check_host(host, "open_connection");
  return open_connection(port, limit);
}

}  // namespace cmbench::coroutines
