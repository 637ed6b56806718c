// echo, fibers: gevent's StreamServer echo (models/fibers/stream_server.hpp): an acceptor
// greenlet accepts, and each connection gets a greenlet of its own whose code is the
// blocking echo, word for word, as after monkey.patch_all():
//
//     while (data := sock.recv(65536)):
//         sock.sendall(data)
//
// A recv or sendall that would block parks the greenlet on the hub's reactor, so one thread
// serves every connection. sendall parks while the peer does not read, and the greenlet
// reads nothing meanwhile: that is the backpressure, with one read's worth held per
// connection (on the heap: a greenlet's stack is 16 KiB).
//
// Stopping comes from another thread as gevent's does: through the hub loop's thread-safe
// callback, which sets an Event on the hub's thread. The acceptor is killed, the listening
// socket closed, and the server returns once every connection's client has closed it.
#include <memory>
#include <span>
#include <string_view>
#include <system_error>

#include "models/fibers/fibers.hpp"
#include "models/fibers/stream_server.hpp"
#include "spec.hpp"

namespace cmbench::echo {
namespace {

// One connection, until the client closes or resets it.
void echo(fibers::Socket sock) {
  auto data = std::make_unique_for_overwrite<char[]>(read_size);
  try {
    while (std::size_t n = sock.recv(std::span(data.get(), read_size)))
      sock.sendall(std::string_view(data.get(), n));
  } catch (const std::system_error&) {  // reset or gone: this connection only
  }
}

}  // namespace

void fibers(Control& c) {
  fibers::run([&c] {
    fibers::StreamServer server(echo);
    auto serving = c.serving(server.port(), [&server] { server.stop_threadsafe(); });
    server.serve_forever();
  });
}

}  // namespace cmbench::echo
