#include "socket.hpp"

#include <sys/epoll.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

#include "models/core/host.hpp"
#include "models/core/tcp.hpp"
#include "models/fibers/hub.hpp"

namespace cmbench::fibers {

// The socket's fd, its watcher, and who waits on it. The watcher keeps an interest while
// a greenlet waits, and drops it only when the reactor reports an event nobody waits for:
// a greenlet in a recv loop then pays no epoll_ctl per wait.
struct Socket::State {
  State(Hub& h, Fd f)
      : hub(h),
        fd(std::move(f)),
        watcher(h.engine(), fd.get(), [this](std::uint32_t e) { ready(e); }) {}

  void ready(std::uint32_t events) {
    std::uint32_t keep = watcher.wanted();
    const bool in = events & (EPOLLIN | EPOLLERR | EPOLLHUP);
    const bool out = events & (EPOLLOUT | EPOLLERR | EPOLLHUP);
    if (in) {
      if (reader)
        wake(std::exchange(reader, nullptr), trace::Cause::io);
      else
        keep &= ~EPOLLIN;
    }
    if (out) {
      if (writer)
        wake(std::exchange(writer, nullptr), trace::Cause::io);
      else
        keep &= ~EPOLLOUT;
    }
    watcher.want(keep);
  }

  Hub& hub;
  Fd fd;
  Watcher watcher;
  context* reader = nullptr;
  context* writer = nullptr;
  bool closed_while_waiting = false;
};

namespace {

[[noreturn]] void closed_under(const char* what) {
  throw std::system_error(EBADF, std::generic_category(),
                          std::string(what) + ": the socket was closed by another greenlet");
}

}  // namespace

Socket::Socket(Hub& hub, Fd fd) : state_(std::make_shared<State>(hub, std::move(fd))) {}

Socket::~Socket() {
  close();
}

bool Socket::is_open() const noexcept {
  return state_ != nullptr && state_->fd;
}

int Socket::fileno() const noexcept {
  return state_ ? state_->fd.get() : -1;
}

Socket::State& Socket::state() const {
  if (!state_ || !state_->fd)
    throw std::system_error(EBADF, std::generic_category(), "a closed socket");
  return *state_;
}

Socket Socket::listen(std::uint16_t port, int backlog) {
  Hub& hub = Hub::require("fibers::Socket::listen");
  return Socket(hub, tcp::listen(port, backlog));
}

Socket Socket::connect(std::uint16_t port) {
  Hub& hub = Hub::require("fibers::Socket::connect");
  Socket s(hub, tcp::connect(port));
  s.wait(EPOLLOUT);
  if (int err = tcp::connect_error(s.fileno()))
    throw std::system_error(
        err, std::generic_category(),
        "connect(" + host::server_address_text() + ":" + std::to_string(port) + ")");
  return s;
}

void Socket::wait(std::uint32_t event) {
  interruption_point();
  // Held for the wait: the Socket may be closed and destroyed by another greenlet meanwhile.
  std::shared_ptr<State> held = state_;
  State& s = state();
  context*& slot = event == EPOLLIN ? s.reader : s.writer;
  if (slot)
    throw std::logic_error(std::string("fibers::Socket: another greenlet is already waiting to ") +
                           (event == EPOLLIN ? "read" : "write") + " on this socket");
  struct Waiting final : Park {
    context*& slot;
    context* me = context::active();
    explicit Waiting(context*& sl) : slot(sl) {}
    bool withdraw() noexcept override {
      if (slot != me) return false;  // the reactor has woken it already
      slot = nullptr;
      return true;
    }
  } waiting(slot);
  slot = waiting.me;
  s.watcher.want(s.watcher.wanted() | event);
  park(waiting, event == EPOLLIN ? trace::Wait::read : trace::Wait::write);
  if (!s.fd) closed_under(event == EPOLLIN ? "recv" : "send");
}

Socket Socket::accept() {
  for (;;) {
    State& s = state();
    if (Fd conn = tcp::accept(s.fd.get())) return Socket(s.hub, std::move(conn));
    wait(EPOLLIN);
  }
}

std::size_t Socket::recv(std::span<std::byte> into) {
  for (;;) {
    if (auto n = tcp::read(state().fd.get(), into)) return *n;
    wait(EPOLLIN);
  }
}

std::size_t Socket::send(std::span<const std::byte> from) {
  if (from.empty()) return 0;
  for (;;) {
    if (auto n = tcp::write(state().fd.get(), from)) return *n;
    wait(EPOLLOUT);
  }
}

void Socket::sendall(std::span<const std::byte> from) {
  while (!from.empty()) from = from.subspan(send(from));
}

void Socket::shutdown_write() {
  tcp::shutdown_write(state().fd.get());
}

std::uint16_t Socket::port() const {
  return tcp::local_port(state().fd.get());
}

void Socket::close() noexcept {
  if (!state_ || !state_->fd) return;
  State& s = *state_;
  s.watcher.want(0);
  s.fd.reset();
  // Greenlets waiting on it wake up and find it closed (EBADF).
  if (s.reader) wake(std::exchange(s.reader, nullptr));
  if (s.writer) wake(std::exchange(s.writer, nullptr));
}

}  // namespace cmbench::fibers
