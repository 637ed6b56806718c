// start_server and Server: a listening socket on 127.0.0.1 whose connections are served by
// tasks (asyncio's).
//
//   auto echo = [](StreamReader r, StreamWriter w) -> Task<void> {
//     for (std::string line; !(line = co_await r.readline()).empty();) w.write(line);
//   };
//   Server server = co_await start_server(echo);   // port 0: an ephemeral port
//   co_await server.serve_forever();               // or server.port(), server.close()
//
// Guarantees: the server binds 127.0.0.1 only and runs each connection's handler as a task;
// what a handler raises is reported to the loop's error handler. When the handler's task
// ends its connection closes, unless the handler handed its reader or writer on.
// Cost: one accept(2) and one task per connection.
// Thread-safety: a server belongs to the thread of the loop it was made on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <utility>

#include "models/coroutines/stream_reader.hpp"
#include "models/coroutines/stream_writer.hpp"
#include "models/coroutines/task.hpp"

namespace cmbench::coroutines {

namespace detail {
class Listener;
}  // namespace detail

// What start_server runs for each connection, as a task of its own (asyncio's
// client_connected_cb). The server keeps it alive while any of its tasks runs, so a lambda's
// captures stay valid even if the Server goes first. Pass a named lambda or variable: g++ 12
// destroys a capturing lambda written inside a co_await expression twice (GCC PR 100611).
using ClientConnected = std::function<Task<void>(StreamReader, StreamWriter)>;

// A listening socket and the connections it accepts (asyncio.Server). Move-only; destroying
// it closes it (stops accepting; connections already accepted go on). It accepts up to 64
// connections per turn of the loop; if accept fails (out of fds, say) it reports the error
// and pauses for 1 s, as asyncio does. While it listens it keeps the loop alive.
class Server {
 public:
  explicit Server(std::shared_ptr<detail::Listener> l) noexcept : l_(std::move(l)) {}
  Server(Server&&) noexcept = default;
  Server& operator=(Server&& o) noexcept;
  ~Server();

  // The port it listens on (the one the kernel chose, after port 0).
  std::uint16_t port() const noexcept;
  bool is_serving() const noexcept;
  // Stops accepting and closes the listening socket; the handlers' tasks go on.
  void close();
  // Returns once the server is closed and every handler task it started has finished.
  Task<void> wait_closed();
  // Returns once close() is called; cancelling the task awaiting it closes the server.
  // InvalidStateError if the server is closed, or another task already serves it forever.
  Task<void> serve_forever();

 private:
  std::shared_ptr<detail::Listener> l_;
};

// Listens on 127.0.0.1:port (0: an ephemeral port; see Server::port()) and accepts
// connections from the next turn of the loop on.
Task<Server> start_server(ClientConnected handler, std::uint16_t port = 0,
                          std::size_t limit = stream_limit);
// The same, in asyncio's spelling; host must be "127.0.0.1" (std::invalid_argument if not).
Task<Server> start_server(ClientConnected handler, std::string_view host, std::uint16_t port,
                          std::size_t limit = stream_limit);

}  // namespace cmbench::coroutines
