#include "models/fibers/stream_server.hpp"

#include <chrono>
#include <cstdio>
#include <system_error>
#include <utility>

#include "models/core/accept_pause.hpp"
#include "models/fibers/fibers.hpp"

namespace cmbench::fibers {
namespace {

using namespace std::chrono_literals;

// The acceptor greenlet: only kill() ends it. A failed accept (out of descriptors, say)
// leaves the socket readable, so waiting for it again would not wait: the acceptor sleeps a
// second instead (models/core/accept_pause.hpp) while the handlers serve on.
void accept_forever(Socket& listener, Pool& handlers, const StreamServer::Handler& handle) {
  AcceptPauses pauses("StreamServer");
  for (;;) {
    try {
      handlers.spawn(handle, listener.accept());
    } catch (const std::system_error& e) {
      if (const std::string line = pauses.pausing(e.code().message()); !line.empty())
        std::fprintf(stderr, "%s\n", line.c_str());
      sleep(accept_pause);
    }
  }
}

}  // namespace

StreamServer::StreamServer(Handler handle)
    : handle_(std::move(handle)),
      listener_(Socket::listen()),
      loop_(Hub::require("fibers::StreamServer").engine()) {}

void StreamServer::serve_forever() {
  Pool handlers(max_connections);
  auto acceptor =
      spawn(accept_forever, std::ref(listener_), std::ref(handlers), std::cref(handle_));
  stop_.wait();
  acceptor.kill();    // GreenletExit at its accept
  listener_.close();  // no new connections
  handlers.join();    // the open ones end with their clients (or their own timeout)
}

void StreamServer::stop_threadsafe() {
  loop_.call_soon_threadsafe([this] { stop_.set(); });
}

}  // namespace cmbench::fibers
