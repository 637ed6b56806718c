// Closing an asyncio Server from another thread: asyncio's
//
//   loop.call_soon_threadsafe(server.close)
//
// the one way into a running loop from outside it. Typical use, a server that another
// thread stops:
//
//   Server server = co_await start_server(handler);
//   std::function<void()> stop = close_threadsafe(server);  // hand this to the other thread
//   co_await server.serve_forever();  // returns once close() has run
//   co_await server.wait_closed();    // and once every handler has finished
//
// Guarantees: the returned function may be called from any thread; close() then runs on the
// loop's thread, in a later turn. Call close_threadsafe on the loop's thread (it takes the
// running loop), and call the function only while `server` and its loop live.
#pragma once

#include <functional>

#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/server.hpp"

namespace cmbench::coroutines {

inline std::function<void()> close_threadsafe(Server& server) {
  EventLoop& loop = EventLoop::current();
  return [&loop, &server] { loop.call_soon_threadsafe([&server] { server.close(); }); };
}

}  // namespace cmbench::coroutines
