// gevent's StreamServer: an acceptor greenlet accepts, and each connection gets a greenlet
// of its own, spawned in a Pool, running the handler with a blocking-looking Socket.
//
//   fibers::run([&] {
//     fibers::StreamServer server(handle);  // StreamServer(('127.0.0.1', 0), handle)
//     server.serve_forever();               // until server.stop_threadsafe()
//   });
//
// Guarantees: a failed accept (out of descriptors, say) is reported on stderr and retried
// after 10 ms. stop_threadsafe() may be called from any thread, once, while the server
// lives: the request crosses to the hub's thread through its loop's thread-safe door
// (gevent's hub.loop.run_callback_threadsafe), so the wake-up never crosses threads inside
// Boost's scheduler. The server then stops accepting at once (the acceptor is killed, the
// listening socket closed), and serve_forever() returns once every handler has ended, that
// is once each client has closed its connection (or the handler's own timeout has).
// Cost: a greenlet per connection, parked on the hub's reactor while it waits.
// Thread-safety: construct and serve inside fibers::run, on the hub's thread; only
// stop_threadsafe() from elsewhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "models/core/engine.hpp"
#include "models/fibers/event.hpp"
#include "models/fibers/socket.hpp"

namespace cmbench::fibers {

class StreamServer {
 public:
  // What serves one connection, on a greenlet of its own; the socket closes as it returns.
  using Handler = std::function<void(Socket)>;

  // gevent's StreamServer(spawn=Pool(n)): a cap on live connections, far above any load's
  // 10^4, past which the acceptor waits for a handler to finish.
  static constexpr std::size_t max_connections = 100'000;

  // Listens on 127.0.0.1, an ephemeral port.
  explicit StreamServer(Handler handle);

  std::uint16_t port() const { return listener_.port(); }
  void serve_forever();
  void stop_threadsafe();

 private:
  Handler handle_;
  Socket listener_;
  Event stop_;
  Engine& loop_;  // the hub's: its call_soon_threadsafe is the thread-safe door
};

}  // namespace cmbench::fibers
