// echo, processes: pre-forked workers, as a prefork server (Apache's prefork, gunicorn's
// sync workers) would echo. The parent listens and forks c.config().workers workers (at
// least one); each accepts from the shared listening socket and echoes one connection at a
// time with blocking recv and send. A connection holds its worker until its client closes
// it, so concurrency is the number of workers: clients beyond it wait in the listen queue.
// Workers are separate processes: a crash in one leaves the others serving.
//
// Backpressure is the kernel's: a send that blocks holds the worker's next recv back.
// Stopping shuts the shared listening socket down, which wakes every worker's accept; each
// worker ends once its current client has closed its connection.
#include "blocking.hpp"
#include "models/processes/prefork_server.hpp"
#include "spec.hpp"

namespace cmbench::echo {

void processes(Control& c) {
  processes::PreforkServer server(echo_connection, c.config().workers);
  auto serving = c.serving(server.port(), [&server] { server.shutdown(); });
  server.serve_forever();
}

}  // namespace cmbench::echo
