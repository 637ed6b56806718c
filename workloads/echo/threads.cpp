// echo, threads: a thread per connection, socketserver.ThreadingTCPServer with an echo
// handler. The serving thread only accepts; each connection's thread loops on a blocking
// recv and send, so a client that thinks, or one that does not read its echo, holds only its
// own thread. The cost is a stack and a kernel thread per client, and a wake-up that may
// cross CPUs on every message.
//
// Backpressure is the kernel's: a send that blocks holds that thread's next recv back.
// Stopping shuts the listening socket down; the server returns once the last connection's
// client has closed it.
#include "blocking.hpp"
#include "models/threads/threading_tcp_server.hpp"
#include "spec.hpp"

namespace cmbench::echo {

void threads(Control& c) {
  threads::ThreadingTCPServer server(echo_connection);
  auto serving = c.serving(server.port(), [&server] { server.shutdown(); });
  server.serve_forever();
}

}  // namespace cmbench::echo
