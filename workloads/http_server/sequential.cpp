// http_server, sequential: the iterative server of the networking textbooks, as
// socketserver.TCPServer runs it. It accepts a connection, serves it until the client closes
// it, then accepts the next. With keep-alive clients that means one client at a time: the
// others wait in the listen queue, and the load generator counts their requests as timeouts.
// That is the point of the row.
#include "blocking.hpp"
#include "models/sequential/tcp_server.hpp"
#include "spec.hpp"

namespace cmbench::http_server {

void sequential(Control& c) {
  sequential::TCPServer server(
      [&c](Fd connection) { serve_connection(std::move(connection), c.config()); });
  auto serving = c.serving(server.port(), [&server] { server.shutdown(); });
  server.serve_forever();
}

}  // namespace cmbench::http_server
