// http_server, fibers: gevent's StreamServer (models/fibers/stream_server.hpp): an acceptor
// greenlet accepts, and each connection gets a greenlet of its own whose code is the blocking
// server's, word for word: recv, parse, sendall, as after monkey.patch_all(). Each call that
// would block parks the greenlet on the hub's reactor instead, so one thread serves every
// connection. The idle timeout is gevent's `with Timeout(idle):` around the wait for the
// next request; the slow backend is fibers::sleep, a reactor timer, not a blocked thread.
// The stop comes from another thread as gevent's do: through the hub loop's thread-safe
// callback (run_callback_threadsafe), which sets an Event on the hub's own thread.
#include <cstdio>
#include <system_error>

#include "models/core/http.hpp"
#include "models/fibers/fibers.hpp"
#include "models/fibers/stream_server.hpp"
#include "spec.hpp"

namespace cmbench::http_server {
namespace {

using namespace std::chrono_literals;

// One connection, until the client closes it, resets it, sends a malformed request, or
// completes no request for the idle timeout. Answers that are ready together (pipelined
// requests) go out in one sendall.
void handle(fibers::Socket sock, const Config& config) {
  http::RequestReader reader;
  http::Request request;
  std::string out;
  try {
    for (;;) {
      http::Status status = reader.next(request);
      if (status == http::Status::incomplete) {
        if (!out.empty()) sock.sendall(out);
        out.clear();
        // Cancelled when the scope ends: one reactor timer per wait for a request, none
        // while pipelined requests are already buffered.
        fibers::Timeout idle(config.idle_timeout);
        do {
          std::size_t n = sock.recv(reader.buffer());
          if (n == 0) return;  // the client closed
          reader.commit(n);
        } while ((status = reader.next(request)) == http::Status::incomplete);
      }
      if (status == http::Status::bad) {
        out += http::bad_request_response();
        sock.sendall(out);
        return;
      }
      if (config.variant == Variant::slow) {
        if (!out.empty()) sock.sendall(out);  // what was ready goes before the wait
        out.clear();
        fibers::sleep(config.backend);  // other greenlets run meanwhile
      }
      out += http::hello_response(request.keep_alive);
      if (!request.keep_alive) {
        sock.sendall(out);
        return;
      }
    }
  } catch (const fibers::TimeoutError&) {  // idle: the socket closes as `sock` goes
  } catch (const std::system_error&) {     // reset or gone: this connection only
  }
}

}  // namespace

void fibers(Control& c) {
  fibers::run([&c] {
    fibers::StreamServer server([&c](fibers::Socket s) { handle(std::move(s), c.config()); });
    auto serving = c.serving(server.port(), [&server] { server.stop_threadsafe(); });
    server.serve_forever();
  });
}

}  // namespace cmbench::http_server
