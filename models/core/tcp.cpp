#include "tcp.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "models/core/host.hpp"

namespace cmbench::tcp {
namespace {

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// The server's address (127.0.0.1 unless this process was placed on another host) and `port`.
sockaddr_in server(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = host::server_address();
  return a;
}

void no_delay(int fd) {
  int one = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
    fail("setsockopt(TCP_NODELAY)");
}

bool would_block(int e) {
  return e == EAGAIN || e == EWOULDBLOCK;
}

}  // namespace

Fd listen(std::uint16_t port, int backlog) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) fail("socket");
  int one = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
    fail("setsockopt(SO_REUSEADDR)");
  sockaddr_in a = server(port);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
    throw std::system_error(errno, std::generic_category(),
                            "bind(" + host::server_address_text() + ")");
  if (::listen(fd.get(), backlog) < 0) fail("listen");
  return fd;
}

std::uint16_t local_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) < 0) fail("getsockname");
  return ntohs(a.sin_port);
}

Fd accept(int listen_fd) {
  for (;;) {
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      Fd conn(fd);
      no_delay(fd);
      return conn;
    }
    if (errno == EINTR) continue;
    // A connection that was reset while queued is the peer's problem, not the listener's.
    if (would_block(errno) || errno == ECONNABORTED) return Fd();
    fail("accept4");
  }
}

Fd connect(std::uint16_t port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) fail("socket");
  no_delay(fd.get());
  sockaddr_in a = server(port);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 && errno != EINPROGRESS)
    throw std::system_error(errno, std::generic_category(),
                            "connect(" + host::server_address_text() + ")");
  return fd;
}

int connect_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) fail("getsockopt(SO_ERROR)");
  return err;
}

std::optional<std::size_t> read(int fd, std::span<std::byte> into) {
  for (;;) {
    ssize_t n = ::read(fd, into.data(), into.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (would_block(errno)) return std::nullopt;
    fail("read");
  }
}

std::optional<std::size_t> write(int fd, std::span<const std::byte> from) {
  for (;;) {
    ssize_t n = ::send(fd, from.data(), from.size(), MSG_NOSIGNAL);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (would_block(errno)) return std::nullopt;
    fail("send");
  }
}

void shutdown_write(int fd) {
  if (::shutdown(fd, SHUT_WR) < 0 && errno != ENOTCONN) fail("shutdown");
}

}  // namespace cmbench::tcp
