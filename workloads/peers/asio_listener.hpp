// What the asio reference servers (http_server's and echo's) share: how they listen, run and
// stop. One io_context, run by the calling thread; accept loops co_spawned on it (several at
// once: pending_accepts) that co_spawn a session per connection; the control's stop closes the
// acceptor (posted onto the loop's thread), and run() returns once the last session has ended. The
// servers differ only in their session.
//
// A failed accept (out of descriptors, say) is reported on stderr and retried 10 ms later:
// a resource limit slows the server, it does not end it.
#pragma once

// How asio allocates its coroutine frames is fixed for every file by the build
// (ASIO_HAS_STD_ALIGNED_ALLOC, see the top-level CMakeLists.txt), whatever the order of
// includes.
#include <chrono>
#include <cstdio>

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>

#include "models/core/accept_pause.hpp"
#include "models/core/host.hpp"
#include "models/core/tcp.hpp"

namespace cmbench::peers::asio_listener {

using asio::awaitable;
using asio::ip::tcp;
// Errors as values: a client that goes away costs no exception.
inline constexpr auto nothrow = asio::experimental::as_tuple(asio::use_awaitable);

// Accepts until the acceptor is closed; session(socket) is an awaitable<void> per client.
// `pauses` is shared by the acceptor's loops (all on the one thread that runs the context).
template <class Session>
awaitable<void> accept_loop(tcp::acceptor& acceptor, AcceptPauses& pauses, Session session) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer pause(executor);
  while (acceptor.is_open()) {
    auto [error, socket] = co_await acceptor.async_accept(nothrow);
    if (error == asio::error::operation_aborted) co_return;
    if (error) {  // out of descriptors, say: pause (models/core/accept_pause.hpp)
      if (const std::string line = pauses.pausing(error.message()); !line.empty())
        std::fprintf(stderr, "%s\n", line.c_str());
      pause.expires_after(accept_pause);
      co_await pause.async_wait(nothrow);
      continue;
    }
    asio::co_spawn(executor, session(std::move(socket)), asio::detached);
  }
}

// How many accepts the acceptor keeps outstanding. One accept loop takes one connection per
// completed operation, behind every session's handlers: at http_server's C = 1 000 the last
// connections of the burst waited past the load generator's 250 ms (C = 512: 3 requests
// timed out, C = 1 000: 549, with one loop; none with eight). The models' servers and libuv
// accept every waiting connection at each readiness; several pending accepts are asio's way.
inline constexpr int pending_accepts = 8;

// Listens on the server address (127.0.0.1 unless placed: models/core/host.hpp; an ephemeral port)
// and serves through `control` until it stops: `control.serving(port, stop)` learns the port and
// how to stop (the workloads' Control).
template <class Control, class Session>
void serve(Control& control, const char* server, Session session) {
  asio::io_context context(1);      // one thread runs it: asio may skip some locking
  tcp::acceptor acceptor(context);  // opened, bound and listening as every server here is
  const tcp::endpoint where{asio::ip::address_v4(ntohl(cmbench::host::server_address())), 0};
  acceptor.open(where.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(where);
  acceptor.listen(cmbench::tcp::default_backlog);
  AcceptPauses pauses(server);
  for (int i = 0; i < pending_accepts; ++i)
    asio::co_spawn(context, accept_loop(acceptor, pauses, session), asio::detached);
  // The loop ends once the acceptor is closed and every session has ended.
  auto serving = control.serving(acceptor.local_endpoint().port(),
                                 [&] { asio::post(context, [&] { acceptor.close(); }); });
  context.run();
}

}  // namespace cmbench::peers::asio_listener
