// http_server, sequential: the iterative server of the networking textbooks. It accepts a
// connection, serves it until the client closes it, then accepts the next. With keep-alive
// clients that means one client at a time: the others wait in the listen queue, and the
// load generator counts their requests as timeouts. That is the point of the row.
#include <sys/socket.h>

#include "blocking.hpp"
#include "models/core/tcp.hpp"
#include "spec.hpp"

namespace cmbench::http_server {

void sequential(Control& c) {
  Fd listener = listen_blocking();
  auto serving = c.serving(tcp::local_port(listener.get()),
                           [fd = listener.get()] { ::shutdown(fd, SHUT_RDWR); });
  while (Fd connection = accept_blocking(listener.get()))
    serve_connection(std::move(connection), c.config());
}

}  // namespace cmbench::http_server
