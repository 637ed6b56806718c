// http_server, processes: pre-forked workers, as Apache's prefork and gunicorn's sync
// workers do. The parent listens, forks the workers, and each worker accepts from the same
// listening socket and serves one connection at a time with blocking calls. With keep-alive
// clients a worker is held by its client, so there is one worker per connection of the load.
// Workers are separate processes: a crash in one leaves the others serving.
#include "blocking.hpp"
#include "models/processes/prefork_server.hpp"
#include "spec.hpp"

namespace cmbench::http_server {

void processes(Control& c) {
  processes::PreforkServer server(
      [&c](Fd connection) { serve_connection(std::move(connection), c.config()); },
      c.config().workers);
  // Shutting the shared socket down wakes every worker's accept at once.
  auto serving = c.serving(server.port(), [&server] { server.shutdown(); });
  server.serve_forever();  // returns once every worker has ended
}

}  // namespace cmbench::http_server
