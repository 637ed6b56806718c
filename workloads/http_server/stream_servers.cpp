#include "stream_servers.hpp"

#include <chrono>
#include <cstdio>
#include <system_error>

#include "models/coroutines/event_loop.hpp"
#include "models/fibers/fibers.hpp"

namespace cmbench::http_server {
namespace {

using namespace std::chrono_literals;

// gevent's StreamServer(spawn=Pool(n)): a cap on live connections, far above any load's
// 10^4, past which the acceptor waits for a handler to finish.
constexpr std::size_t max_connections = 100'000;

// The acceptor greenlet: only kill() ends it.
void accept_forever(fibers::Socket& listener, fibers::Pool& handlers,
                    const std::function<void(fibers::Socket)>& handle, const char* who) {
  for (;;) {
    try {
      handlers.spawn(handle, listener.accept());
    } catch (const std::system_error& e) {
      std::fprintf(stderr, "%s: accept failed, retrying in 10 ms: %s\n", who, e.what());
      fibers::sleep(10ms);
    }
  }
}

}  // namespace

void serve_greenlets(Control& c, std::function<void(fibers::Socket)> handle, const char* who) {
  fibers::run([&] {
    fibers::Socket listener = fibers::Socket::listen();
    fibers::Pool handlers(max_connections);
    fibers::Event stop;
    auto acceptor = fibers::spawn(accept_forever, std::ref(listener), std::ref(handlers),
                                  std::cref(handle), who);
    // Called from the harness's thread: the set goes through the hub loop's thread-safe door
    // and runs on the hub's thread, so the wake-up never crosses threads inside Boost's
    // scheduler.
    Reactor& loop = fibers::Hub::require(who).reactor();
    auto serving = c.serving(
        listener.port(), [&loop, &stop] { loop.call_soon_threadsafe([&stop] { stop.set(); }); });
    stop.wait();
    acceptor.kill();   // GreenletExit at its accept
    listener.close();  // no new connections
    handlers.join();   // the open ones end with their clients (or their idle timeout)
  });
}

coroutines::Task<void> serve_streams(Control& c, coroutines::ClientConnected handler) {
  coroutines::Server server = co_await coroutines::start_server(handler);
  Reactor& loop = coroutines::EventLoop::current().reactor();
  // The harness stops us from its own thread: only call_soon_threadsafe may cross over.
  auto serving = c.serving(server.port(), [&loop, &server] {
    loop.call_soon_threadsafe([&server] { server.close(); });
  });
  co_await server.serve_forever();  // returns once close() has run
  co_await server.wait_closed();    // and once every handler has finished
}

}  // namespace cmbench::http_server
