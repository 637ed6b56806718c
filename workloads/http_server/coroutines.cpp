// http_server, coroutines: asyncio's streams server. start_server runs one handler task per
// connection; the handler reads what has arrived with `co_await reader.read(n)`, answers
// with writer.write + drain, and reads like the blocking server with co_await in front of
// each wait. The idle timeout is wait_for around the wait for the next request; the slow
// backend is `co_await sleep(backend)`, a timer, so the loop serves the others meanwhile.
// Stopping from another thread goes through the loop's call_soon_threadsafe, asyncio's one
// thread-safe entry.
#include <optional>
#include <string>

#include "models/core/http.hpp"
#include "models/coroutines/close_threadsafe.hpp"
#include "models/coroutines/errors.hpp"
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/server.hpp"
#include "models/coroutines/sleep.hpp"
#include "models/coroutines/stream_reader.hpp"
#include "models/coroutines/stream_writer.hpp"
#include "models/coroutines/wait.hpp"
#include "spec.hpp"

namespace cmbench::http_server {
namespace {

using coroutines::StreamReader;
using coroutines::StreamWriter;
using coroutines::Task;

// Reads until the bytes received hold the next request, complete or malformed: its status,
// or nullopt at end of stream. The request's views point into `parser`.
Task<std::optional<http::Status>> next_request(StreamReader& reader, http::RequestReader& parser,
                                               http::Request& request) {
  for (;;) {
    std::string data = co_await reader.read(16 * 1024);  // what has arrived, up to 16 KiB
    if (data.empty()) co_return std::nullopt;            // the client closed
    parser.feed(data);
    if (auto status = parser.next(request); status != http::Status::incomplete) co_return status;
  }
}

// One connection (asyncio's client_connected_cb), until the client closes it, resets it,
// sends a malformed request, or completes no request for the idle timeout. The connection
// closes when this task ends, once what was written has been sent.
Task<void> handle(StreamReader reader, StreamWriter writer, const Config& config) {
  http::RequestReader parser;
  http::Request request;
  try {
    for (;;) {
      http::Status status = parser.next(request);  // a pipelined request needs no read
      if (status == http::Status::incomplete) {
        co_await writer.drain();
        // One task and one timer per wait for a request; cancelled with the read on expiry.
        auto next = co_await coroutines::wait_for(next_request(reader, parser, request),
                                                  config.idle_timeout);
        if (!next) co_return;
        status = *next;
      }
      if (status == http::Status::bad) {
        writer.write(http::bad_request_response());
        co_return;
      }
      if (config.variant == Variant::slow)
        co_await coroutines::sleep(config.backend);  // earlier answers are already written
      writer.write(http::hello_response(request.keep_alive));
      if (!request.keep_alive) co_return;
    }
  } catch (const coroutines::TimeoutError&) {     // idle: closed as the task ends
  } catch (const coroutines::ConnectionError&) {  // reset or gone: this connection only
  }
}

Task<void> serve(Control& c) {
  // Named: g++ 12 destroys a capturing lambda written inside a co_await expression twice.
  coroutines::ClientConnected handler = [&config = c.config()](StreamReader r, StreamWriter w) {
    return handle(std::move(r), std::move(w), config);
  };
  coroutines::Server server = co_await coroutines::start_server(handler);
  auto serving = c.serving(server.port(), coroutines::close_threadsafe(server));
  co_await server.serve_forever();  // returns once close() has run
  co_await server.wait_closed();    // and once every handler has finished
}

}  // namespace

void coroutines(Control& c) {
  coroutines::run(serve(c));
}

}  // namespace cmbench::http_server
