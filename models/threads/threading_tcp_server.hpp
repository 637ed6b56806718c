// socketserver.ThreadingTCPServer: a thread per connection. The serving thread only
// accepts; each connection gets a thread of its own, which blocks in its calls while its
// client thinks. Concurrent and simple, at the price of a stack and a kernel thread per
// client.
//
//   threads::ThreadingTCPServer server(handle);  // 127.0.0.1, an ephemeral port
//   server.serve_forever();                      // until server.shutdown()
//
// Guarantees: shutdown() may be called from any thread; the listening socket stops
// accepting at once, and serve_forever() returns once every connection's thread has
// finished (socketserver's block_on_close), so nothing outlives the server. A failed
// accept (out of descriptors, say) is reported and retried (models/core/blocking_tcp.hpp).
// Does not guarantee: a bound on threads; each connection costs one until it ends.
// Thread-safety: serve_forever() on one thread; shutdown() from any; handlers run at once
// on their own threads and share only what the handler itself shares.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

#include "models/core/fd.hpp"

namespace cmbench::threads {

class ThreadingTCPServer {
 public:
  // What serves one connection (BaseRequestHandler.handle), on the connection's own thread.
  using Handler = std::function<void(Fd connection)>;

  explicit ThreadingTCPServer(Handler handle);

  std::uint16_t port() const;
  void serve_forever();
  void shutdown() noexcept;

 private:
  Handler handle_;
  Fd listener_;
  std::mutex mutex_;
  std::condition_variable all_done_;
  int live_ = 0;  // connection threads not yet finished (guarded by mutex_)
};

}  // namespace cmbench::threads
