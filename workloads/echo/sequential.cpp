// echo, sequential: the iterative echo server of the networking textbooks, as
// socketserver.TCPServer runs it. It accepts a connection, echoes it with blocking recv and
// send until the client closes it, then accepts the next. One client at a time: the others
// wait in the listen queue (their connects succeed, their bytes sit in the kernel) and the
// load generator counts their messages as timeouts. That is the point of the row.
//
// Backpressure is the kernel's: a send that blocks holds the next recv back. Stopping shuts
// the listening socket down; the connection being served ends when its client closes it.
#include "blocking.hpp"
#include "models/sequential/tcp_server.hpp"
#include "spec.hpp"

namespace cmbench::echo {

void sequential(Control& c) {
  sequential::TCPServer server(echo_connection);
  auto serving = c.serving(server.port(), [&server] { server.shutdown(); });
  server.serve_forever();
}

}  // namespace cmbench::echo
