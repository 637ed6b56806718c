// Protocol, Factory, Transport: how a Twisted program speaks over a connection.
//
// The reactor owns the connection and calls the protocol when something happens:
//   connection_made(transport)   the connection is up; `transport` is where to write
//   data_received(bytes)         bytes arrived (any amount: a message may come in pieces,
//                                or several in one call; the protocol frames them)
//   connection_lost(reason)      it is over: reason.check<ConnectionDone>() for a clean
//                                close, ConnectionLost (or ConnectionAborted) otherwise
// A Factory builds one Protocol per connection (a listening port calls build_protocol for
// each accepted connection, connect_tcp once connected) and holds what they share.
//
// Transport (Twisted's ITransport), what a protocol may do with its connection:
//   write(bytes)          never blocks: what the socket does not take at once is buffered
//                         and sent as the socket drains (EPOLLOUT); a write after the
//                         connection closed is dropped.
//   lose_connection()     closes once the buffer is flushed; connection_lost(ConnectionDone)
//                         follows. Reading stops at once.
//   abort_connection()    closes now, dropping the buffer; connection_lost(ConnectionAborted)
//                         follows on the next turn of the loop.
// connection_lost is never called from inside the protocol's own call to the transport: it
// always comes from the reactor, after the call returned. A protocol method that throws is
// reported and its connection dropped (connection_lost gets that exception).
//
// Not provided: flow control (Twisted's producers and consumers: a writer faster than its
// peer grows the buffer without bound), half-close, TLS, UDP, addresses other than 127.0.0.1.
// Thread-safety: everything here runs on the reactor's thread.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <stdexcept>
#include <string_view>

#include "models/callbacks/failure.hpp"

namespace cmbench::callbacks {

// The reasons connection_lost and client_connection_failed receive (twisted.internet.error).
struct ConnectionDone : std::runtime_error {  // closed cleanly, by either side
  ConnectionDone() : std::runtime_error("Connection was closed cleanly.") {}
};
struct ConnectionLost : std::runtime_error {  // closed uncleanly: reset, or an error
  using std::runtime_error::runtime_error;
};
struct ConnectionAborted : ConnectionLost {  // abort_connection() was called
  ConnectionAborted() : ConnectionLost("Connection was aborted locally.") {}
};
struct ConnectError : std::runtime_error {  // connect_tcp could not connect
  using std::runtime_error::runtime_error;
};
struct ConnectionRefusedError : ConnectError {  // ... because nobody listens there
  using ConnectError::ConnectError;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual void write(std::span<const std::byte> data) = 0;
  void write(std::string_view text) { write(std::as_bytes(std::span(text.data(), text.size()))); }
  virtual void lose_connection() = 0;
  virtual void abort_connection() = 0;
};

class Factory;

class Protocol {
 public:
  virtual ~Protocol() = default;
  virtual void connection_made(Transport& /*transport*/) {}
  virtual void data_received(std::span<const std::byte> /*data*/) {}
  virtual void connection_lost(const Failure& /*reason*/) {}

  // Set by the reactor before connection_made (Twisted's makeConnection); the transport
  // stays valid until connection_lost has returned.
  Transport* transport = nullptr;
  Factory* factory = nullptr;  // the factory that built this protocol
};

class Factory {
 public:
  virtual ~Factory() = default;
  // A new protocol for a new connection; nullptr refuses the connection (it is closed).
  virtual std::unique_ptr<Protocol> build_protocol() = 0;
};

// A factory for outgoing connections, told when one could not be made.
class ClientFactory : public Factory {
 public:
  virtual void client_connection_failed(const Failure& /*reason*/) {}
};

}  // namespace cmbench::callbacks
