// What the http_server tests share: a server run on a thread of its own, and a blocking
// HTTP client whose every wait is bounded (a server that hangs fails a test, never the run).
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <future>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "http_server/spec.hpp"
#include "models/core/http.hpp"
#include "models/core/span.hpp"

namespace cmbench::http_server::test {

using namespace std::chrono_literals;

// A server on a thread of its own, stopped and joined on destruction.
class Running {
 public:
  Running(Serve serve, Config config) {
    std::promise<std::uint16_t> port;
    auto known = port.get_future();
    thread_ = std::thread([this, serve, config, port = std::move(port)]() mutable {
      try {
        serve_until(
            serve, config, [&](std::uint16_t p) { port.set_value(p); },
            [this] { stop_.get_future().wait(); });
      } catch (...) {
        failure_ = std::current_exception();
        try {
          port.set_exception(std::current_exception());
        } catch (const std::future_error&) {  // the port was already known
        }
      }
    });
    try {
      port_ = known.get();
    } catch (...) {  // the server failed to start: its thread has ended
      thread_.join();
      stopped_ = true;
      throw;
    }
  }
  ~Running() {
    if (stopped_) return;
    stop_.set_value();
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  // Stops the server, waits for it, and rethrows what it threw.
  void finish() {
    stop_.set_value();
    thread_.join();
    stopped_ = true;
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  std::promise<void> stop_;
  std::thread thread_;
  std::exception_ptr failure_;
  std::uint16_t port_ = 0;
  bool stopped_ = false;
};

// A blocking client socket with timeouts on every wait.
class Client {
 public:
  explicit Client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;

  bool connected() const { return connected_; }
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(std::size_t(n));
    }
    return true;
  }
  // The next response, or nullopt if the connection closed or nothing came within `wait`.
  std::optional<http::Response> response(std::chrono::milliseconds wait = 5000ms) {
    const std::int64_t deadline = monotonic_ns() + wait.count() * 1'000'000;
    http::Response r;
    for (;;) {
      http::Status s = reader_.next(r);
      if (s == http::Status::ready) return r;
      if (s == http::Status::bad) return std::nullopt;
      if (!fill(deadline)) return std::nullopt;
    }
  }
  // True if the server closed (or reset) the connection within `wait`; data before the end
  // is read and ignored.
  bool closed_within(std::chrono::milliseconds wait) {
    const std::int64_t deadline = monotonic_ns() + wait.count() * 1'000'000;
    while (fill(deadline)) {
    }
    return eof_;
  }
  // Resets the connection (SO_LINGER 0: close sends RST).
  void reset() {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd_);
    fd_ = -1;
  }

 private:
  // Reads once; false at end of stream, on an error or at the deadline.
  bool fill(std::int64_t deadline) {
    std::int64_t left_ms = (deadline - monotonic_ns()) / 1'000'000;
    pollfd p{fd_, POLLIN, 0};
    if (left_ms <= 0 || ::poll(&p, 1, int(left_ms)) <= 0) return false;
    std::span<char> room = reader_.buffer();
    ssize_t n = ::recv(fd_, room.data(), room.size(), 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    reader_.commit(std::size_t(n));
    return true;
  }

  int fd_;
  bool connected_ = false, eof_ = false;
  http::ResponseReader reader_;
};

inline bool is_hello(const std::optional<http::Response>& r) {
  return r && r->status == 200 && r->body == http::hello_body;
}

}  // namespace cmbench::http_server::test
