// http_server, fibers: gevent's StreamServer written out by hand. An acceptor greenlet
// accepts, and each connection gets a greenlet of its own whose code is the blocking
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
#include "spec.hpp"

namespace cmbench::http_server {
namespace {

using namespace std::chrono_literals;

// gevent's StreamServer(spawn=Pool(n)): a cap on live connections, far above the load's
// 10^4, past which the acceptor waits for a handler to finish.
constexpr std::size_t max_connections = 100'000;

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

// gevent's accept loop: a greenlet per connection. A failed accept (out of descriptors,
// say) is reported and retried after 10 ms; only kill() ends the loop.
void accept_forever(fibers::Socket& listener, fibers::Pool& handlers, const Config& config) {
  for (;;) {
    try {
      handlers.spawn(handle, listener.accept(), std::cref(config));
    } catch (const std::system_error& e) {
      std::fprintf(stderr, "http_server: accept failed, retrying in 10 ms: %s\n", e.what());
      fibers::sleep(10ms);
    }
  }
}

}  // namespace

void fibers(Control& c) {
  fibers::run([&c] {
    fibers::Socket listener = fibers::Socket::listen();
    fibers::Pool handlers(max_connections);
    fibers::Event stop;
    auto acceptor = fibers::spawn(accept_forever, std::ref(listener), std::ref(handlers),
                                  std::cref(c.config()));
    // Called from the harness's thread: the set goes through the hub loop's thread-safe door
    // (gevent's run_callback_threadsafe) and runs on the hub's thread, so the wake-up never
    // crosses threads inside Boost's scheduler.
    Reactor& loop = fibers::Hub::require("http_server").reactor();
    auto serving = c.serving(
        listener.port(), [&loop, &stop] { loop.call_soon_threadsafe([&stop] { stop.set(); }); });
    stop.wait();
    acceptor.kill();   // GreenletExit at its accept
    listener.close();  // no new connections
    handlers.join();   // the open ones end when their clients close or go idle
  });
}

}  // namespace cmbench::http_server
