// echo, futures: Tornado's TCPServer echo, written as Tornado 4 code without coroutines.
// handle_stream gets each connection as an IOStream; the coroutine version's loop
//
//     while True:
//         data = yield stream.read_bytes(65536, partial=True)
//         yield stream.write(data)
//
// becomes a chain of done-callbacks: the read's callback writes the bytes, the write's
// callback starts the next read. Waiting for the write's future before reading again is the
// backpressure: while the kernel does not take the echo, the stream reads nothing more, and
// its buffer holds at most one read's worth.
//
// Stopping, from another thread through the loop's thread-safe add_callback: the server
// stops listening, and start() returns once the last stream has closed (its client closed
// or reset it: the pending read fails with StreamClosedError and the chain ends).
#include <memory>
#include <string>

#include "models/futures/io_loop.hpp"
#include "models/futures/iostream.hpp"
#include "models/futures/tcp_server.hpp"
#include "spec.hpp"

namespace cmbench::echo {
namespace {

using futures::Future;
using futures::IOLoop;
using futures::IOStream;

// One client. Alive while its pending read's or write's callback holds it.
// Invariant: exactly one read or one write is pending until the stream fails; then nothing
// is, the last handle goes, and the stream's socket closes.
class EchoConnection : public std::enable_shared_from_this<EchoConnection> {
 public:
  explicit EchoConnection(IOStream stream) : stream_(std::move(stream)) {}

  void read() {
    stream_.read_bytes(read_size, /*partial=*/true)
        .add_done_callback(
            [self = shared_from_this()](Future<std::string>& data) { self->on_read(data); });
  }

 private:
  void on_read(Future<std::string>& data) {
    if (data.exception()) return;  // StreamClosedError: the client closed or reset
    stream_.write(data.result()).add_done_callback([self = shared_from_this()](Future<void>& sent) {
      if (!sent.exception()) self->read();
    });
  }

  IOStream stream_;
};

}  // namespace

void futures(Control& c) {
  IOLoop loop;
  futures::TCPServer server(
      [](IOStream stream) { std::make_shared<EchoConnection>(std::move(stream))->read(); });
  server.listen(0);
  auto serving = c.serving(server.port(),
                           [&loop, &server] { loop.add_callback([&server] { server.stop(); }); });
  loop.start();
}

}  // namespace cmbench::echo
