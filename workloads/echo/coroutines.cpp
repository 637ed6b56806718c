// echo, coroutines: asyncio's streams echo server. start_server runs one handler task per
// connection, and the handler is the loop an asyncio user writes:
//
//     while data := await reader.read(65536):
//         writer.write(data)
//         await writer.drain()
//
// drain() is the backpressure: it returns at once while the write buffer is below its
// high-water mark (64 KiB) and otherwise waits until it is down to the low-water mark, and
// the task reads nothing meanwhile. (The reader's own buffer pauses reading at 2 × 64 KiB.)
//
// Stopping from another thread goes through the loop's call_soon_threadsafe, asyncio's one
// thread-safe entry: the server closes (stops accepting), and the server returns once every
// handler has finished, that is once every client has closed its connection.
#include <string>

#include "models/coroutines/close_threadsafe.hpp"
#include "models/coroutines/errors.hpp"
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/server.hpp"
#include "models/coroutines/stream_reader.hpp"
#include "models/coroutines/stream_writer.hpp"
#include "spec.hpp"

namespace cmbench::echo {
namespace {

using coroutines::StreamReader;
using coroutines::StreamWriter;
using coroutines::Task;

// One connection (asyncio's client_connected_cb), until the client closes or resets it. The
// connection closes when this task ends, once what was written has been sent.
Task<void> handle_echo(StreamReader reader, StreamWriter writer) {
  try {
    for (;;) {
      std::string data = co_await reader.read(read_size);
      if (data.empty()) co_return;  // the client closed
      writer.write(data);
      co_await writer.drain();
    }
  } catch (const coroutines::ConnectionError&) {  // reset or gone: this connection only
  }
}

Task<void> serve(Control& c) {
  // Named: g++ 12 destroys a capturing lambda written inside a co_await expression twice.
  coroutines::ClientConnected handler = handle_echo;
  coroutines::Server server = co_await coroutines::start_server(handler);
  auto serving = c.serving(server.port(), coroutines::close_threadsafe(server));
  co_await server.serve_forever();  // returns once close() has run
  co_await server.wait_closed();    // and once every handler has finished
}

}  // namespace

void coroutines(Control& c) {
  coroutines::run(serve(c));
}

}  // namespace cmbench::echo
