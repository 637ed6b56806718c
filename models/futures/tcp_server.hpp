// TCPServer: accepts connections on 127.0.0.1 and hands each to handle_stream as an
// IOStream (tornado.tcpserver.TCPServer, with the handler passed in instead of a subclass).
//
// Guarantees: listens on 127.0.0.1 only (port 0: an ephemeral port, see port()); every
// connection waiting in the listen queue is accepted when epoll reports the socket
// readable, up to 64 per turn of the loop so that a burst cannot starve the rest; a
// handler that throws is reported to the loop's error handler and the server goes on; an
// accept that fails for want of a resource (out of descriptors) pauses accepting for a
// second, said at most once a minute (models/core/accept_pause.hpp), rather than spin.
// While listening it keeps the loop alive (start() does not return); stop() ends that.
// Not guaranteed: the streams' lifetime: each belongs to the handler (stop() does not
// close them). The server must go before its loop does (declare it after the loop).
// Thread-safety: the loop thread. Cost: one accept4 per connection.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "models/core/accept_pause.hpp"
#include "models/core/engine.hpp"
#include "models/core/fd.hpp"
#include "models/futures/iostream.hpp"

namespace cmbench::futures {

class IOLoop;

class TCPServer {
 public:
  using StreamHandler = std::function<void(IOStream stream)>;

  explicit TCPServer(StreamHandler handle_stream);
  TCPServer(const TCPServer&) = delete;
  TCPServer& operator=(const TCPServer&) = delete;
  ~TCPServer();

  // Starts listening on 127.0.0.1:port, on the current loop.
  void listen(std::uint16_t port);
  std::uint16_t port() const;  // the port it listens on, once listening
  // Stops accepting and closes the listening socket. Callable from inside handle_stream.
  void stop();

 private:
  void accept_ready();

  StreamHandler handle_stream_;
  IOLoop* loop_ = nullptr;
  Fd socket_;
  std::unique_ptr<Watcher> watcher_;
  AcceptPauses pauses_{"TCPServer"};
  Engine::TimerHandle resume_{};  // pending while an accept failure pauses the server
  bool paused_ = false;
};

}  // namespace cmbench::futures
