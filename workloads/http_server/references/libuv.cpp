// http_server, libuv: one uv_loop, written as libuv's own guide writes a TCP server:
// uv_tcp_bind and uv_listen, uv_accept in the connection callback, uv_read_start with a
// buffer the request reader lends (no copy), a connection's three handles closed together.
//
// Answers are written as Node.js writes them: uv_try_write first (a 38-byte answer almost
// always fits the socket: no write request, no deferred callback, straight from the prebuilt
// response), and uv_write only for what the socket did not take, reading stopped until it is
// written. Timers: the idle timer is started once and re-armed lazily when it fires (a
// request only stores the loop's cached clock; uv_timer_again per request would re-sort the
// timer heap every time). The slow variant's wait is a uv_timer per request.
#include <uv.h>

#include <cstdio>
#include <string>
#include <utility>

#include "models/core/accept_pause.hpp"
#include "models/core/http.hpp"
#include "references.hpp"
#include "workloads/peers/libuv_listener.hpp"

namespace cmbench::http_server {
namespace {

// One client: a TCP handle and two timers, freed once all three are closed. Invariant: the
// connection reads (`reading`) unless a uv_write is in flight (`out` holds its bytes), its
// request waits for the backend (`wait == running`), or it is to close after its answers.
struct Connection {
  enum class Wait { none, running, over };
  explicit Connection(const Config& config) : config(config) {
    tcp.data = idle.data = backend.data = this;
  }
  uv_tcp_t tcp;
  uv_timer_t idle, backend;
  uv_write_t write;
  const Config& config;
  http::RequestReader reader;
  std::string out;
  std::uint64_t last_ms = 0;  // uv_now when it opened or completed its last request
  Wait wait = Wait::none;
  bool keep_alive = true;  // of the request that waits
  bool reading = false, last_answer = false, closed = false;
  int open_handles = 3;
};

constexpr auto of = peers::libuv_listener::owner<Connection>;
using peers::libuv_listener::stream;

void close(Connection* c) {
  if (std::exchange(c->closed, true)) return;
  auto closed = [](uv_handle_t* h) {
    if (Connection* c = of(h); --c->open_handles == 0) delete c;
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), closed);  // cancels a write in flight
  uv_close(reinterpret_cast<uv_handle_t*>(&c->idle), closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->backend), closed);
}

void serve(Connection* c);

void start_reading(Connection* c) {
  if (std::exchange(c->reading, true)) return;
  uv_read_start(
      stream(c),
      [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
        std::span<char> room = of(h)->reader.buffer();
        *buf = uv_buf_init(room.data(), unsigned(room.size()));
      },
      [](uv_stream_t* s, ssize_t n, const uv_buf_t*) {
        Connection* c = of(s);
        if (n < 0) return close(c);  // end of stream, or reset
        c->reader.commit(std::size_t(n));
        serve(c);
      });
}

void stop_reading(Connection* c) {
  if (std::exchange(c->reading, false)) uv_read_stop(stream(c));
}

// Writes `out`, then `last` (straight from its bytes when `out` is empty); what the socket
// does not take goes out by uv_write, and the connection does not read until it has.
void send(Connection* c, std::string_view last) {
  if (!c->out.empty()) {
    c->out += last;
    last = c->out;
  }
  int sent = 0;
  if (!last.empty()) {
    uv_buf_t buf = uv_buf_init(const_cast<char*>(last.data()), unsigned(last.size()));
    sent = uv_try_write(stream(c), &buf, 1);
    if (sent == UV_EAGAIN) sent = 0;
    if (sent < 0) return close(c);  // reset by the client
  }
  if (std::size_t(sent) < last.size()) {
    if (c->out.empty())
      c->out.assign(last.substr(std::size_t(sent)));
    else
      c->out.erase(0, std::size_t(sent));
    stop_reading(c);
    uv_buf_t buf = uv_buf_init(c->out.data(), unsigned(c->out.size()));
    uv_write(&c->write, stream(c), &buf, 1, [](uv_write_t* w, int status) {
      Connection* c = of(w->handle);
      if (status < 0) return close(c);
      c->out.clear();
      send(c, {});  // closes, or reads again
    });
    return;
  }
  c->out.clear();
  if (c->last_answer) return close(c);
  if (c->wait != Connection::Wait::running) start_reading(c);
}

// Answers the complete requests the reader holds, in order, until it needs more bytes, the
// connection is to close, or (slow variant) a request must first wait for its backend.
void serve(Connection* c) {
  std::string_view last;  // the newest answer, not yet copied into `out`
  http::Request r;
  while (!c->last_answer && c->wait != Connection::Wait::running) {
    if (c->wait == Connection::Wait::over) {
      c->wait = Connection::Wait::none;
    } else {
      http::Status s = c->reader.next(r);
      if (s == http::Status::incomplete) break;
      if (s == http::Status::bad) {
        c->out += last;
        last = http::bad_request_response();
        c->last_answer = true;
        break;
      }
      c->keep_alive = r.keep_alive;
      if (c->config.variant == Variant::slow) {  // what was ready goes out before the wait
        // The loop's clock counts whole milliseconds, read when it wakes: a timer of n ms
        // may fire after anything over n - 1. One more makes the wait at least `backend`.
        auto ms = (c->config.backend.count() + 999) / 1000 + 1;
        c->wait = Connection::Wait::running;
        stop_reading(c);
        uv_timer_start(
            &c->backend,
            [](uv_timer_t* t) {
              of(t)->wait = Connection::Wait::over;
              serve(of(t));
            },
            std::uint64_t(ms), 0);
        break;
      }
    }
    c->out += last;
    last = http::hello_response(c->keep_alive);
    c->last_ms = uv_now(c->tcp.loop);
    c->last_answer = !c->keep_alive;
  }
  send(c, last);
}

// Closes a connection that completed no request for the idle timeout; otherwise sleeps
// until its deadline as it stands now.
void on_idle(uv_timer_t* t) {
  Connection* c = of(t);
  const std::uint64_t idle = std::uint64_t(c->config.idle_timeout.count());
  const std::uint64_t since = uv_now(t->loop) - c->last_ms;
  if (since >= idle && c->wait != Connection::Wait::running) return close(c);
  uv_timer_start(t, on_idle, since >= idle ? idle : idle - since, 0);
}

void on_connection(uv_stream_t* listener, int status) {
  if (status < 0) {  // out of descriptors, say: libuv keeps listening
    // libuv has accepted and closed what waited (its EMFILE trick): say so once a minute.
    thread_local AcceptPauses pauses("http_server libuv");
    if (const std::string line = pauses.pausing(uv_strerror(status)); !line.empty())
      std::fprintf(stderr, "%s\n", line.c_str());
    return;
  }
  auto* c = new Connection(*static_cast<const Config*>(listener->data));
  uv_tcp_init(listener->loop, &c->tcp);
  uv_timer_init(listener->loop, &c->idle);
  uv_timer_init(listener->loop, &c->backend);
  if (uv_accept(listener, stream(c)) < 0) return close(c);
  uv_tcp_nodelay(&c->tcp, 1);
  c->last_ms = uv_now(listener->loop);
  uv_timer_start(&c->idle, on_idle, std::uint64_t(c->config.idle_timeout.count()), 0);
  start_reading(c);
}

}  // namespace

void libuv(Control& c) {
  peers::libuv_listener::serve(c, const_cast<Config*>(&c.config()), on_connection);
}

}  // namespace cmbench::http_server
