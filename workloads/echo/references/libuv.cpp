// echo, libuv: one uv_loop, as libuv's own echo server is written (uv_listen, uv_accept,
// uv_read_start, uv_write), with the write path Node.js uses: uv_try_write first, straight
// from the bytes just read, and a uv_write request only for what the socket did not take.
//
// Every connection reads into one buffer of read_size bytes that the loop shares: libuv calls
// the read callback before it asks for a buffer again, and what is left to write is copied
// out of it first. While a uv_write is pending the connection does not read (uv_read_stop):
// a client that stops reading holds at most one read's worth of bytes here. Per message of
// up to read_size bytes: a read and a write, no request and no deferred callback unless the
// socket's buffer is full. Listening and stopping are shared with http_server's libuv
// server (workloads/peers/libuv_listener.hpp).
#include <uv.h>

#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "echo/spec.hpp"
#include "models/core/accept_pause.hpp"
#include "workloads/peers/libuv_listener.hpp"

namespace cmbench::echo {
namespace {

// One client, freed once its handle is closed. Invariant: `out` is empty and the connection
// reads, or `out` holds the bytes of the one uv_write in flight and it does not read.
struct Connection {
  explicit Connection(char* buffer) : buffer(buffer) { tcp.data = this; }
  uv_tcp_t tcp;
  uv_write_t write;
  char* buffer;  // the loop's, read_size bytes
  std::string out;
  bool closed = false;
};

constexpr auto of = peers::libuv_listener::owner<Connection>;
using peers::libuv_listener::stream;

void close(Connection* c) {
  if (std::exchange(c->closed, true)) return;
  // Cancels a write in flight: its callback runs first (ECANCELED), then this one.
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), [](uv_handle_t* h) { delete of(h); });
}

void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);

void start_reading(Connection* c) {
  uv_read_start(
      stream(c),
      [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
        *buf = uv_buf_init(of(h)->buffer, unsigned(read_size));
      },
      on_read);
}

// Echoes what was read: what the socket takes now, and the rest by uv_write.
void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  Connection* c = of(s);
  if (n < 0) return close(c);  // end of stream, or reset
  if (n == 0) return;          // nothing this time (EAGAIN)
  uv_buf_t bytes = uv_buf_init(buf->base, unsigned(n));
  int sent = uv_try_write(s, &bytes, 1);
  if (sent == UV_EAGAIN) sent = 0;
  if (sent < 0) return close(c);  // reset by the client
  if (sent == n) return;
  c->out.assign(buf->base + sent, std::size_t(n - sent));
  uv_read_stop(s);
  uv_buf_t rest = uv_buf_init(c->out.data(), unsigned(c->out.size()));
  int rc = uv_write(&c->write, s, &rest, 1, [](uv_write_t* w, int status) {
    Connection* c = of(w->handle);
    if (status < 0) return close(c);
    c->out.clear();
    start_reading(c);
  });
  if (rc < 0) close(c);
}

void on_connection(uv_stream_t* listener, int status) {
  if (status < 0) {  // out of descriptors, say: libuv keeps listening
    // libuv has accepted and closed what waited (its EMFILE trick): say so once a minute.
    thread_local AcceptPauses pauses("echo libuv");
    if (const std::string line = pauses.pausing(uv_strerror(status)); !line.empty())
      std::fprintf(stderr, "%s\n", line.c_str());
    return;
  }
  auto* c = new Connection(static_cast<char*>(listener->data));
  uv_tcp_init(listener->loop, &c->tcp);
  if (uv_accept(listener, stream(c)) < 0) return close(c);
  uv_tcp_nodelay(&c->tcp, 1);
  start_reading(c);
}

}  // namespace

void libuv(Control& c) {
  auto buffer = std::make_unique<char[]>(read_size);
  peers::libuv_listener::serve(c, buffer.get(), on_connection);
}

}  // namespace cmbench::echo
