#include "models/core/blocking_tcp.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <thread>

#include "models/core/tcp.hpp"

namespace cmbench::blocking_tcp {

Fd listen(std::uint16_t port) {
  Fd fd = tcp::listen(port);
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) < 0)
    throw std::system_error(errno, std::generic_category(), "fcntl(listening socket)");
  return fd;
}

Fd accept(int listener, AcceptPauses& pauses) {
  for (;;) {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return Fd(fd);
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno == EINVAL) return Fd();  // shut down: the server is stopping
    if (const std::string line = pauses.pausing(std::strerror(errno)); !line.empty())
      std::fprintf(stderr, "%s\n", line.c_str());
    std::this_thread::sleep_for(accept_pause);
  }
}

bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(std::size_t(n));
  }
  return true;
}

}  // namespace cmbench::blocking_tcp
