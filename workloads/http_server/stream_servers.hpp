// The servers of the fibers and coroutines models are written the way their frameworks
// write a server: a handler per connection, and the framework's stream server around it.
// These are the two stream servers, shared by every workload that serves (http_server,
// echo), with the stop that Control asks for from another thread.
//
//   serve_greenlets   gevent's StreamServer(listener, handle).serve_forever(): an acceptor
//                     greenlet spawns handle(socket) per connection in a Pool; a failed
//                     accept (out of descriptors, say) is reported and retried after 10 ms.
//   serve_streams     asyncio's start_server(handler) and serve_forever().
//
// Stopping, in both: the request crosses to the loop's thread through its thread-safe door
// (gevent's run_callback_threadsafe, asyncio's call_soon_threadsafe) and the server stops
// accepting at once; it returns once every handler has ended, that is once each client
// has closed its connection (or the handler's own idle timeout has).
#pragma once

#include <functional>

#include "models/coroutines/server.hpp"
#include "models/coroutines/task.hpp"
#include "models/fibers/socket.hpp"
#include "spec.hpp"

namespace cmbench::http_server {

// Runs a hub on this thread; `who` names the server in the messages of failed accepts.
void serve_greenlets(Control& c, std::function<void(fibers::Socket)> handle, const char* who);

// Awaited inside coroutines::run on this thread.
coroutines::Task<void> serve_streams(Control& c, coroutines::ClientConnected handler);

}  // namespace cmbench::http_server
