#include "blocking.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <string_view>

#include "models/core/blocking_tcp.hpp"
#include "spec.hpp"

namespace cmbench::echo {

std::uint64_t echo_connection(Fd connection) {
  const int fd = connection.get();
  // On the heap, not the stack: 64 KiB is a lot for a thread's stack, and only the pages
  // that bytes reach are ever touched.
  auto buffer = std::make_unique_for_overwrite<char[]>(read_size);
  std::uint64_t echoed = 0;
  for (;;) {
    ssize_t n = ::recv(fd, buffer.get(), read_size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return echoed;  // closed, or reset
    if (!blocking_tcp::send_all(fd, std::string_view(buffer.get(), std::size_t(n)))) return echoed;
    echoed += std::uint64_t(n);
  }
}

}  // namespace cmbench::echo
