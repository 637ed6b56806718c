// http_server, threads: a thread per connection, socketserver.ThreadingTCPServer. The
// serving thread only accepts; each connection gets its own thread, which blocks in recv
// while its client thinks. Simple and concurrent, at the price of a stack and a kernel
// thread per client (and a cross-CPU wake-up, 30–40 µs here, whenever the scheduler puts
// the reader on the other core).
#include "blocking.hpp"
#include "models/threads/threading_tcp_server.hpp"
#include "spec.hpp"

namespace cmbench::http_server {

void threads(Control& c) {
  threads::ThreadingTCPServer server(
      [&c](Fd connection) { serve_connection(std::move(connection), c.config()); });
  auto serving = c.serving(server.port(), [&server] { server.shutdown(); });
  server.serve_forever();  // returns once the last connection's thread has finished
}

}  // namespace cmbench::http_server
