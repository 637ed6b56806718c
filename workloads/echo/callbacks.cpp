// echo, callbacks: Twisted's Echo protocol. The reactor reads what arrived (up to 64 KiB
// per readable event, the same as read_size) and calls data_received with it; the protocol
// writes those bytes back through its transport, and that is the whole server. A Factory
// builds one Echo per connection and counts the live ones, so that a stop can wait for them.
//
// Bounded by Twisted's flow control: in connection_made the protocol registers its
// transport as that transport's own producer (registerProducer(transport, True)). What the
// socket does not take at once waits in the transport's buffer; once that passes 64 KiB the
// transport pauses itself, which stops reading the client, and it reads again when the
// buffer has drained. A client that sends without reading therefore fills the kernel's
// buffers and then blocks, while the server holds at most 64 KiB plus one read for it. With
// the echo load, one message in flight per connection, the buffer never gets that far: the
// registration costs nothing on the way.
//
// Stopping, from another thread through the reactor's thread-safe queue: the port stops
// listening at once, and the reactor stops when the last connection has been lost (its
// client closed or reset it).
#include <cstddef>
#include <memory>
#include <span>

#include "models/callbacks/protocol.hpp"
#include "models/callbacks/reactor.hpp"
#include "spec.hpp"

namespace cmbench::echo {
namespace {

using callbacks::Failure;
using callbacks::Protocol;
using callbacks::Reactor;
using callbacks::Transport;

class EchoFactory;

class Echo : public Protocol {
 public:
  explicit Echo(EchoFactory& factory) : factory_(factory) {}

  void connection_made(Transport& t) override { t.register_producer(t); }
  void data_received(std::span<const std::byte> data) override { transport->write(data); }
  void connection_lost(const Failure& reason) override;

 private:
  EchoFactory& factory_;
};

// Invariant: `live` counts the Echo protocols built and not yet lost; once `stopping`, the
// reactor stops as soon as `live` is zero.
class EchoFactory : public callbacks::Factory {
 public:
  explicit EchoFactory(Reactor& reactor) : reactor_(reactor) {}

  std::unique_ptr<Protocol> build_protocol() override {
    ++live_;
    return std::make_unique<Echo>(*this);
  }

  void lost() {
    --live_;
    if (stopping_ && live_ == 0) reactor_.stop();
  }

  // The port has stopped listening: end once the open connections are gone.
  void stop_when_idle() {
    stopping_ = true;
    if (live_ == 0) reactor_.stop();
  }

 private:
  Reactor& reactor_;
  int live_ = 0;
  bool stopping_ = false;
};

void Echo::connection_lost(const Failure& /*reason*/) {
  factory_.lost();
}

}  // namespace

void callbacks(Control& c) {
  Reactor reactor;
  EchoFactory factory(reactor);
  callbacks::ListeningPort& port = reactor.listen_tcp(0, factory);
  auto serving = c.serving(port.port(), [&reactor, &port, &factory] {
    reactor.call_from_thread([&port, &factory] {
      port.stop_listening();
      factory.stop_when_idle();
    });
  });
  reactor.run();
}

}  // namespace cmbench::echo
