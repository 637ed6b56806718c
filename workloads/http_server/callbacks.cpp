// http_server, callbacks: Twisted's hello-world server. A Factory builds one Protocol per
// connection; the reactor calls data_received with whatever bytes arrived, and the protocol
// frames them itself (here with the shared RequestReader) and answers through its
// transport. Nothing blocks: the slow variant's backend is a reactor.call_later, and the
// idle timeout is TimeoutMixin's, one DelayedCall per connection that every request
// reset()s (a clock read, not a new timer: the call re-arms itself only when it comes due).
#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "models/callbacks/protocol.hpp"
#include "models/callbacks/reactor.hpp"
#include "models/core/http.hpp"
#include "spec.hpp"

namespace cmbench::http_server {
namespace {

using callbacks::DelayedCall;
using callbacks::Failure;
using callbacks::Protocol;
using callbacks::Reactor;
using callbacks::Transport;

class HelloWorld : public Protocol {
 public:
  HelloWorld(Reactor& reactor, const Config& config) : reactor_(reactor), config_(config) {}

  void connection_made(Transport& /*transport*/) override {
    timeout_ = reactor_.call_later(config_.idle_timeout, [this] { timeout_connection(); });
  }

  void data_received(std::span<const std::byte> data) override {
    reader_.feed({reinterpret_cast<const char*>(data.data()), data.size()});
    if (!backend_.active()) answer_ready();  // else the backend's answer resumes the rest
  }

  void connection_lost(const Failure& /*reason*/) override {
    if (timeout_.active()) timeout_.cancel();
    if (backend_.active()) backend_.cancel();
  }

 private:
  // Answers the complete requests in the reader, in order, in one write. In the slow
  // variant it stops at each request: what was ready goes out, and the backend's call
  // answers that request and resumes here; requests that arrive meanwhile wait in the
  // reader, so the answers keep the requests' order.
  void answer_ready() {
    http::Request request;
    for (;;) {
      http::Status status = reader_.next(request);
      if (status == http::Status::incomplete) break;
      if (status == http::Status::bad) {
        out_ += http::bad_request_response();
        return finish();
      }
      // TimeoutMixin.resetTimeout; inactive only if the timeout has just aborted the
      // connection while a backend wait was ending.
      if (timeout_.active()) timeout_.reset(config_.idle_timeout);
      if (config_.variant == Variant::slow) {
        flush();
        backend_ = reactor_.call_later(config_.backend, [this, keep_alive = request.keep_alive] {
          out_ += http::hello_response(keep_alive);
          if (!keep_alive) return finish();
          answer_ready();
        });
        return;
      }
      out_ += http::hello_response(request.keep_alive);
      if (!request.keep_alive) return finish();
    }
    flush();
  }

  void flush() {
    if (out_.empty()) return;
    transport->write(out_);
    out_.clear();  // keeps its capacity: no allocation per request
  }

  // The last answer is in out_: send it, then close (once it is written).
  void finish() {
    flush();
    transport->lose_connection();
  }

  // TimeoutMixin.timeoutConnection: nothing came in time. An abort, not lose_connection:
  // a client silent this long may not be reading either, and its answers can be dropped.
  void timeout_connection() { transport->abort_connection(); }

  Reactor& reactor_;
  const Config& config_;
  http::RequestReader reader_;
  std::string out_;      // answers not yet written
  DelayedCall timeout_;  // the idle timeout, reset by every complete request
  DelayedCall backend_;  // slow: the request being waited for; active ⇒ nothing else answers
};

class HelloWorldFactory : public callbacks::Factory {
 public:
  HelloWorldFactory(Reactor& reactor, const Config& config) : reactor_(reactor), config_(config) {}
  std::unique_ptr<Protocol> build_protocol() override {
    return std::make_unique<HelloWorld>(reactor_, config_);
  }

 private:
  Reactor& reactor_;
  const Config& config_;
};

}  // namespace

void callbacks(Control& c) {
  Reactor reactor;
  HelloWorldFactory factory(reactor, c.config());
  callbacks::ListeningPort& port = reactor.listen_tcp(0, factory);
  // From the other thread: the reactor's thread-safe queue (Twisted's callFromThread). The
  // running reactor keeps the loop alive until then. Connections still open are closed when
  // the reactor goes.
  auto serving = c.serving(port.port(), [&reactor, &port] {
    reactor.call_from_thread([&reactor, &port] {
      port.stop_listening();
      reactor.stop();
    });
  });
  reactor.run();
}

}  // namespace cmbench::http_server
