#include "workloads/serving/fetch_blocking.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "models/core/fd.hpp"
#include "models/core/host.hpp"

namespace cmbench::serving {
namespace {

// The words for a failed call; a timeout says which bound it hit.
std::string cause(const char* call, int error, std::chrono::milliseconds timeout) {
  if (error == EAGAIN || error == EWOULDBLOCK || error == EINPROGRESS)
    return std::string(call) + ": no progress in " + std::to_string(timeout.count()) + " ms";
  return std::string(call) + ": " + std::strerror(error);
}

}  // namespace

Fetched fetch_blocking(std::uint16_t port, std::size_t index, std::chrono::milliseconds timeout) {
  Page page(index);
  Span span{monotonic_ns(), 0};
  Fd socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket) page.fail(cause("socket", errno, timeout));
  // SO_SNDTIMEO bounds connect() and send(), SO_RCVTIMEO each recv().
  const timeval bound{static_cast<time_t>(timeout.count() / 1000),
                      static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(socket.get(), SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
  ::setsockopt(socket.get(), SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof bound);

  sockaddr_in origin{};
  origin.sin_family = AF_INET;
  origin.sin_port = htons(port);
  origin.sin_addr.s_addr = host::server_address();
  if (::connect(socket.get(), reinterpret_cast<const sockaddr*>(&origin), sizeof origin) < 0) {
    // Interrupted by a signal, the connect goes on without us: wait for it (within the same
    // bound) and ask how it ended.
    int error = errno;
    if (error == EINTR) {
      pollfd ready{socket.get(), POLLOUT, 0};
      int n;
      while ((n = ::poll(&ready, 1, static_cast<int>(timeout.count()))) < 0 && errno == EINTR) {
      }
      socklen_t length = sizeof error;
      if (n == 0)
        error = EINPROGRESS;
      else if (n < 0 || ::getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &error, &length) < 0)
        error = errno;
    }
    if (error) page.fail(cause("connect", error, timeout));
  }

  std::string request = serving::request(index);
  for (std::string_view left = request; !left.empty();) {
    ssize_t n = ::send(socket.get(), left.data(), left.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) page.fail(cause("send", errno, timeout));
    left.remove_prefix(std::size_t(n));
  }

  while (!page.done()) {
    std::span<char> room = page.buffer();
    ssize_t n = ::recv(socket.get(), room.data(), room.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) page.fail(cause("recv", errno, timeout));
    if (n == 0) page.end_of_stream();  // throws: the response is not complete
    page.commit(std::size_t(n));
  }
  span.end_ns = monotonic_ns();
  return {page.digest(), span};
}

}  // namespace cmbench::serving
