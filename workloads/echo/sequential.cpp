// echo, sequential: the iterative echo server of the networking textbooks. It accepts a
// connection, echoes it with blocking recv and send until the client closes it, then accepts
// the next. One client at a time: the others wait in the listen queue (their connects
// succeed, their bytes sit in the kernel) and the load generator counts their messages as
// timeouts. That is the point of the row.
//
// Backpressure is the kernel's: a send that blocks holds the next recv back. Stopping shuts
// the listening socket down; the connection being served ends when its client closes it.
#include <sys/socket.h>

#include "http_server/blocking.hpp"
#include "models/core/tcp.hpp"
#include "spec.hpp"

namespace cmbench::echo {

void sequential(Control& c) {
  Fd listener = http_server::listen_blocking();
  auto serving = c.serving(tcp::local_port(listener.get()),
                           [fd = listener.get()] { ::shutdown(fd, SHUT_RDWR); });
  while (Fd connection = http_server::accept_blocking(listener.get()))
    http_server::echo_connection(std::move(connection), read_size);
}

}  // namespace cmbench::echo
