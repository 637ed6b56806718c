// http_server, asio: standalone asio with C++20 coroutines, written as asio's own examples
// write a server (cpp20/coroutines/echo_server.cpp, timeout.cpp): co_spawn an accept loop,
// and a session per connection that reads with async_read_some and answers with async_write,
// on one io_context run by the calling thread.
//
// The idle timeout is a watchdog raced against the session with the awaitable operators:
// `serve(...) || watchdog(deadline)` ends both when either ends. A request only moves the
// deadline forward; the watchdog's timer wakes once per timeout to look at it, so there is no
// timer operation per request. The slow variant's wait is a steady_timer, once per request.
// Errors are values (as_tuple): a client that goes away costs no exception.

// Standard headers before asio's (workloads/peers/asio_listener.hpp says why).
#include <chrono>
#include <string>

#include <asio/experimental/awaitable_operators.hpp>

#include "workloads/peers/asio_listener.hpp"
#include "models/core/http.hpp"
#include "references.hpp"

namespace cmbench::http_server {
namespace {

using asio::awaitable;
using asio::ip::tcp;
using peers::asio_listener::nothrow;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

// Ends once `deadline` has passed (it may move forward while the watchdog sleeps).
awaitable<void> watchdog(const Clock::time_point& deadline) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (auto now = Clock::now(); deadline > now; now = Clock::now()) {
    timer.expires_at(deadline);
    co_await timer.async_wait(nothrow);
  }
}

// Answers the connection's requests in order until the client closes it, a request is
// malformed (400) or asks to close. Answers that are ready together go out in one write:
// straight from the prebuilt response when there is one, gathered in `out` when pipelined.
awaitable<void> serve(tcp::socket& socket, Clock::time_point& deadline, const Config& config) {
  http::RequestReader reader;
  http::Request request;
  std::string out;
  asio::steady_timer backend(socket.get_executor());
  for (bool open = true; open;) {
    std::span<char> room = reader.buffer();
    auto [error, n] =
        co_await socket.async_read_some(asio::buffer(room.data(), room.size()), nothrow);
    if (error) co_return;
    reader.commit(n);
    std::string_view last;  // the newest answer, not yet copied into `out`
    http::Status status = http::Status::incomplete;
    while (open && (status = reader.next(request)) == http::Status::ready) {
      if (config.variant == Variant::slow) {  // what was ready goes out before the wait
        out += last;
        last = {};
        if (!out.empty() &&
            std::get<0>(co_await asio::async_write(socket, asio::buffer(out), nothrow)))
          co_return;
        out.clear();
        backend.expires_after(config.backend);
        co_await backend.async_wait(nothrow);
      }
      out += last;
      last = http::hello_response(request.keep_alive);
      deadline = Clock::now() + config.idle_timeout;
      open = request.keep_alive;
    }
    if (open && status == http::Status::bad) {
      out += last;
      last = http::bad_request_response();
      open = false;
    }
    if (!out.empty()) {
      out += last;
      last = out;
    }
    if (last.empty()) continue;
    auto [write_error, _] = co_await asio::async_write(socket, asio::buffer(last), nothrow);
    if (write_error) co_return;
    out.clear();
  }
}

awaitable<void> session(tcp::socket socket, const Config& config) {
  asio::error_code ignored;  // a client that already reset its connection: serve finds out
  socket.set_option(tcp::no_delay(true), ignored);
  Clock::time_point deadline = Clock::now() + config.idle_timeout;
  co_await (serve(socket, deadline, config) || watchdog(deadline));
}

}  // namespace

void asio(Control& c) {
  const Config& config = c.config();
  peers::asio_listener::serve(c, "http_server asio", [&config](tcp::socket socket) {
    return session(std::move(socket), config);
  });
}

}  // namespace cmbench::http_server
