// echo, asio: the classic asio echo server (asio's cpp20/coroutines/echo_server.cpp), on
// standalone asio with C++20 coroutines: an accept loop co_spawned on one io_context run by
// the calling thread, and a coroutine per connection that reads with async_read_some into
// its own buffer of read_size bytes and writes what it read back with async_write before it
// reads again (so a client that stops reading holds one buffer's worth here, no more).
//
// Cost: one coroutine frame and one buffer (64 KiB) per connection; per message of up
// to read_size bytes, a read and a write, each a completion through the io_context (asio
// tries the operation at once and only waits on the reactor when the socket is not ready).
// Errors are values (as_tuple): a client that closes or resets ends its coroutine, no
// exception. Listening and stopping are shared with http_server's asio server
// (workloads/peers/asio_listener.hpp).
#include <memory>

#include "echo/spec.hpp"
#include "workloads/peers/asio_listener.hpp"

namespace cmbench::echo {
namespace {

using asio::awaitable;
using asio::ip::tcp;
using peers::asio_listener::nothrow;

awaitable<void> session(tcp::socket socket) {
  asio::error_code ignored;  // a client that already reset its connection: the read finds out
  socket.set_option(tcp::no_delay(true), ignored);
  auto data = std::make_unique<char[]>(read_size);
  for (;;) {
    auto [read_error, n] =
        co_await socket.async_read_some(asio::buffer(data.get(), read_size), nothrow);
    if (read_error) co_return;  // end of stream, or reset
    auto [write_error, _] =
        co_await asio::async_write(socket, asio::buffer(data.get(), n), nothrow);
    if (write_error) co_return;
  }
}

}  // namespace

void asio(Control& c) {
  peers::asio_listener::serve(c, "echo asio", session);
}

}  // namespace cmbench::echo
