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
// Flow control (Twisted's producers and consumers). A transport is a PushProducer (its
// bytes are what the peer sends) and a consumer (of what the protocol writes):
//   pause_producing()     stop reading the socket: no data_received until resumed; what the
//                         peer sends meanwhile waits in the kernel, whose full buffers in
//                         turn stop the peer (TCP's own flow control)
//   resume_producing()    read again; what arrived meanwhile is delivered, then the peer's
//                         end of stream if it came (a transport that is not reading does not
//                         notice a clean close, as in Twisted; a reset is noticed while bytes
//                         wait to be written, else at the next read or write)
//   stop_producing()      lose_connection()
//   register_producer(p)  while bytes the socket did not take exceed buffer_size (64 KiB,
//                         Twisted's bufferSize), p is paused: after the write that passed it,
//                         p.pause_producing(); once the buffer has drained completely,
//                         p.resume_producing() (only if this transport paused it). When the
//                         connection is lost, p.stop_producing() is called and p forgotten.
//                         A second registration is a std::logic_error; registering on a lost
//                         connection stops p at once. p must stay alive until it is
//                         unregistered or the connection is lost.
//   unregister_producer() forgets the producer (not resumed, as in Twisted).
// Pause and resume do not nest: one resume undoes any number of pauses.
// An echo or a proxy registers the transport that feeds it: reading then stops while the
// peer does not take the echoes, and the server buffers at most 64 KiB plus one read per
// connection however fast a client sends. Cost: flow control adds no syscall to a
// connection without a producer, nor to a write the socket takes whole; a pause or resume
// is one epoll_ctl (none if the interest did not change).
// Differences from Twisted: only streaming (push) producers; lose_connection() closes once
// the buffer is flushed even while a producer is registered (Twisted waits for it to be
// unregistered).
//
// Not provided: half-close, TLS, UDP, addresses other than 127.0.0.1.
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

// Twisted's IPushProducer: something that produces on its own until told to pause.
class PushProducer {
 public:
  virtual ~PushProducer() = default;
  virtual void pause_producing() = 0;
  virtual void resume_producing() = 0;
  virtual void stop_producing() = 0;  // for good: the consumer is gone
};

class Transport : public PushProducer {
 public:
  // Bytes a transport buffers before it pauses its producer (Twisted's bufferSize).
  static constexpr std::size_t buffer_size = 64 * 1024;

  virtual void write(std::span<const std::byte> data) = 0;
  void write(std::string_view text) { write(std::as_bytes(std::span(text.data(), text.size()))); }
  virtual void lose_connection() = 0;
  virtual void abort_connection() = 0;

  virtual void register_producer(PushProducer& producer) = 0;  // streaming=True only
  virtual void unregister_producer() = 0;
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
