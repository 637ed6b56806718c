// http_server, futures: Tornado's TCPServer, written as Tornado 4 code without coroutines.
// handle_stream gets each connection as an IOStream; every read is a future whose
// done-callback handles the bytes and starts the next read, so one connection is a chain
// of callbacks, not a task. read_bytes(n, partial) hands over what arrived and the shared
// RequestReader frames it. The slow variant waits on futures::sleep (tornado.gen.sleep);
// the idle timeout is one call_later per connection that, when it comes due, re-arms
// itself if a request completed meanwhile (a clock read per request, not a timer per
// request as a with_timeout around each read would be).
#include <chrono>
#include <memory>
#include <string>

#include "models/core/http.hpp"
#include "models/futures/io_loop.hpp"
#include "models/futures/iostream.hpp"
#include "models/futures/tcp_server.hpp"
#include "spec.hpp"

namespace cmbench::http_server {
namespace {

using futures::Future;
using futures::IOLoop;
using futures::IOStream;

// One client. Alive while a callback holds it: its pending read's, its sleep's, its timer's.
// Invariant: at most one read or one backend wait is pending; `idle_` is armed until the
// stream has closed (on_read sees the failed read and removes it).
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(IOStream stream, const Config& config)
      : stream_(std::move(stream)), config_(config), loop_(IOLoop::current()) {}

  void start() {
    deadline_ = loop_.time() + config_.idle_timeout;
    idle_ =
        loop_.call_later(config_.idle_timeout, [self = shared_from_this()] { self->check_idle(); });
    read();
  }

 private:
  void read() {
    stream_.read_bytes(64 * 1024, /*partial=*/true)
        .add_done_callback(
            [self = shared_from_this()](Future<std::string>& bytes) { self->on_read(bytes); });
  }

  void on_read(Future<std::string>& bytes) {
    if (bytes.exception()) {  // StreamClosedError: the client went, or we closed it
      loop_.remove_timeout(idle_);
      return;
    }
    reader_.feed(bytes.result());
    answer_ready();
  }

  // Answers the complete requests in the reader, in order, in one write; then reads on. In
  // the slow variant, what was ready goes out before each backend wait, and the wait's
  // callback answers and resumes here: one request at a time, so the answers keep order.
  void answer_ready() {
    http::Request request;
    for (;;) {
      http::Status status = reader_.next(request);
      if (status == http::Status::incomplete) break;
      if (status == http::Status::bad) {
        out_ += http::bad_request_response();
        return finish();
      }
      deadline_ = loop_.time() + config_.idle_timeout;
      if (config_.variant == Variant::slow) {
        flush();
        futures::sleep(config_.backend)
            .add_done_callback([self = shared_from_this(), keep_alive = request.keep_alive](
                                   Future<void>&) { self->answer_after_backend(keep_alive); });
        return;
      }
      out_ += http::hello_response(request.keep_alive);
      if (!request.keep_alive) return finish();
    }
    flush();
    read();
  }

  void answer_after_backend(bool keep_alive) {
    if (stream_.closed()) return;  // the idle timeout closed it meanwhile (and has run)
    out_ += http::hello_response(keep_alive);
    if (!keep_alive) return finish();
    answer_ready();
  }

  void flush() {
    if (out_.empty()) return;
    stream_.write(out_);  // never blocks; a failure shows up as the next read's
    out_.clear();         // keeps its capacity: no allocation per request
  }

  // Sends the last answer, then closes once it is written (the idle timeout stays armed
  // until then, for a client that stops reading).
  void finish() {
    stream_.write(out_).add_done_callback([self = shared_from_this()](Future<void>&) {
      self->stream_.close();
      self->loop_.remove_timeout(self->idle_);
    });
    out_.clear();
  }

  void check_idle() {
    const auto now = loop_.time();
    if (now < deadline_) {  // a request completed since the timer was set: wait for the rest
      idle_ =
          loop_.call_later(deadline_ - now, [self = shared_from_this()] { self->check_idle(); });
      return;
    }
    stream_.close();  // the pending read fails: on_read ends the chain
  }

  IOStream stream_;
  const Config& config_;
  IOLoop& loop_;
  http::RequestReader reader_;
  std::string out_;                     // answers not yet written
  IOLoop::clock::time_point deadline_;  // the next request must be complete by then
  IOLoop::Timeout idle_;
};

}  // namespace

void futures(Control& c) {
  IOLoop loop;
  futures::TCPServer server([&c](IOStream stream) {
    std::make_shared<Connection>(std::move(stream), c.config())->start();
  });
  server.listen(0);
  // From the other thread, through the loop's thread-safe queue (the listening server keeps
  // the loop alive until then). Once the server stops, start() returns when the last
  // connection has closed (its client closed it, or the idle timeout did).
  auto serving = c.serving(server.port(),
                           [&loop, &server] { loop.add_callback([&server] { server.stop(); }); });
  loop.start();
}

}  // namespace cmbench::http_server
