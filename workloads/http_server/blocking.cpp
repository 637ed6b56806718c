#include "blocking.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

#include "models/core/http.hpp"
#include "models/core/span.hpp"
#include "models/core/tcp.hpp"

namespace cmbench::http_server {
namespace {

// Writes all of `bytes`; false if the connection failed (the client went away).
bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(std::size_t(n));
  }
  return true;
}

}  // namespace

Fd listen_blocking() {
  Fd fd = tcp::listen(0);
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) < 0)
    throw std::system_error(errno, std::generic_category(), "fcntl(listening socket)");
  return fd;
}

Fd accept_blocking(int listener) {
  for (;;) {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return Fd(fd);
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno == EINVAL) return Fd();  // shut down: the server is stopping
    std::fprintf(stderr, "http_server: accept failed, retrying in 10 ms: %s\n",
                 std::strerror(errno));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::uint64_t serve_connection(Fd connection, const Config& config) {
  const int fd = connection.get();
  const auto idle = config.idle_timeout;
  timeval tv{static_cast<time_t>(idle.count() / 1000),
             static_cast<suseconds_t>(idle.count() % 1000 * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::int64_t idle_ns = std::int64_t{idle.count()} * 1'000'000;

  http::RequestReader reader;
  http::Request request;
  std::string out;
  std::uint64_t answered = 0;
  std::int64_t deadline = monotonic_ns() + idle_ns;  // for the next complete request
  for (;;) {
    std::span<char> room = reader.buffer();
    ssize_t n = ::recv(fd, room.data(), room.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return answered;  // closed, reset, or silent for the whole timeout
    reader.commit(std::size_t(n));
    for (;;) {
      http::Status status = reader.next(request);
      if (status == http::Status::incomplete) break;
      if (status == http::Status::bad) {
        send_all(fd, out);
        send_all(fd, http::bad_request_response());
        return answered;
      }
      if (config.variant == Variant::slow) {  // answer what is ready before waiting
        if (!send_all(fd, out)) return answered;
        out.clear();
        std::this_thread::sleep_for(config.backend);
      }
      out += http::hello_response(request.keep_alive);
      ++answered;
      deadline = monotonic_ns() + idle_ns;
      if (!request.keep_alive) {
        send_all(fd, out);
        return answered;
      }
    }
    if (!send_all(fd, out)) return answered;
    out.clear();
    if (!reader.idle() && monotonic_ns() > deadline) return answered;  // a slowloris
  }
}

std::uint64_t echo_connection(Fd connection, std::size_t read_size) {
  const int fd = connection.get();
  // On the heap, not the stack: 64 KiB is a lot for a thread's stack, and only the pages
  // that bytes reach are ever touched.
  auto buffer = std::make_unique_for_overwrite<char[]>(read_size);
  std::uint64_t echoed = 0;
  for (;;) {
    ssize_t n = ::recv(fd, buffer.get(), read_size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return echoed;  // closed, or reset
    if (!send_all(fd, std::string_view(buffer.get(), std::size_t(n)))) return echoed;
    echoed += std::uint64_t(n);
  }
}

}  // namespace cmbench::http_server
