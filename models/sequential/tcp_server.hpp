// socketserver.TCPServer: the iterative server of the networking textbooks. It accepts a
// connection, hands it to the handler, and accepts the next only once the handler has
// returned: one client at a time, the others wait in the listen queue.
//
//   sequential::TCPServer server(handle);  // 127.0.0.1, an ephemeral port: server.port()
//   server.serve_forever();                // until server.shutdown()
//
// Guarantees: shutdown() may be called from any thread, at most once the server is
// constructed; the listening socket stops accepting at once, and serve_forever() returns
// once the connection being served has been handled. A failed accept (out of descriptors,
// say) is reported and retried (models/core/blocking_tcp.hpp).
// Thread-safety: serve_forever() on one thread; shutdown() from any.
#pragma once

#include <cstdint>
#include <functional>

#include "models/core/fd.hpp"

namespace cmbench::sequential {

class TCPServer {
 public:
  // What serves one connection (socketserver's BaseRequestHandler.handle): blocking calls on
  // the connection, which closes when the handler returns.
  using Handler = std::function<void(Fd connection)>;

  explicit TCPServer(Handler handle);

  std::uint16_t port() const;
  void serve_forever();
  void shutdown() noexcept;

 private:
  Handler handle_;
  Fd listener_;
};

}  // namespace cmbench::sequential
