// A pre-forking server, as Apache's prefork and gunicorn's sync workers: the parent listens
// and forks the workers at once; each worker accepts from the shared listening socket and
// serves one connection at a time with blocking calls. Concurrency is the number of
// workers: clients beyond it wait in the listen queue. Workers are separate processes: a
// crash in one leaves the others serving.
//
//   processes::PreforkServer server(handle, 4);  // listens, forks 4 workers
//   server.serve_forever();                      // until server.shutdown()
//
// Guarantees: shutdown() may be called from any thread of the parent; it wakes every
// worker's accept at once, each worker ends once its current connection has been handled,
// and serve_forever() returns once every worker has ended. A worker that died (a signal,
// an exception) is reported by serve_forever() as processes::ChildError; the others are
// then killed and reaped as the server goes (never an orphan). A failed accept (out of
// descriptors, say) is reported and retried (models/core/blocking_tcp.hpp).
// Cost: a fork per worker at construction (≈ 0.2 ms for a small parent), nothing per
// connection.
// Thread-safety: one thread owns the server; shutdown() from any thread of the parent.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "models/core/fd.hpp"
#include "models/processes/process.hpp"

namespace cmbench::processes {

class PreforkServer {
 public:
  // What serves one connection, in a worker process (BaseRequestHandler.handle).
  using Handler = std::function<void(Fd connection)>;

  // Listens on 127.0.0.1 (an ephemeral port) and forks `workers` workers (at least one).
  PreforkServer(Handler handle, int workers);

  std::uint16_t port() const;
  void serve_forever();
  void shutdown() noexcept;

 private:
  Handler handle_;
  Fd listener_;
  std::vector<Process<std::uint64_t>> workers_;  // each returns the connections it served
};

}  // namespace cmbench::processes
