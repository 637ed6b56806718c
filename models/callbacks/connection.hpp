// Connection: one TCP connection as the reactor runs it (Twisted's tcp.Connection): the
// socket, the Transport its protocol writes to, the write buffer, and the protocol itself.
// Users never name it: they see a Transport& in connection_made.
//
// How it uses the loop: one Watcher (level-triggered epoll) per connection. It wants
// EPOLLIN while it reads and EPOLLOUT only while bytes wait in the write buffer, so an idle
// connection costs no wake-ups and a write that fits the socket costs no epoll_ctl. Each
// readable event is one read of up to 64 KiB into the reactor's shared buffer (as Twisted's
// doRead): a busy connection cannot starve the others, and epoll calls again for the rest.
// write() first tries the socket at once when nothing is queued (libuv and asio do the
// same; Twisted queues and writes on the next writable event), and buffers what is left.
//
// Flow control (see protocol.hpp): pausing drops EPOLLIN from the interest. While paused
// with bytes to write, the socket is still watched for EPOLLOUT, and epoll reports
// EPOLLERR/EPOLLHUP with it, so a reset is noticed at once; paused with nothing to write it
// is not watched at all (no wake-ups, and it does not busy-loop on a peer's FIN it must not
// read yet): end of stream and errors wait for the resume, as in Twisted's reactors.
// The producer check sits on the buffering path only: a write the socket takes whole, the
// common case, costs what it did without flow control.
//
// Cost: one Connection (152 bytes) and one protocol per connection; a write that fits the
// socket is one send(); a partial write adds two epoll_ctl (watch, then unwatch, EPOLLOUT).
// Thread-safety: the reactor's thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "models/callbacks/protocol.hpp"
#include "models/core/engine.hpp"
#include "models/core/fd.hpp"
#include "models/core/trace.hpp"

namespace cmbench::callbacks {

class Reactor;

class Connection final : public Transport {
 public:
  Connection(Reactor& reactor, Fd fd, Factory& factory);        // accepted: connected
  Connection(Reactor& reactor, Fd fd, ClientFactory& factory);  // outgoing: connecting
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Once the reactor owns it: builds the protocol (accepted), or waits to be connected.
  void start();

  using Transport::write;
  void write(std::span<const std::byte> data) override;
  void lose_connection() override;
  void abort_connection() override;

  void pause_producing() override;
  void resume_producing() override;
  void stop_producing() override { lose_connection(); }
  void register_producer(PushProducer& producer) override;
  void unregister_producer() override;

 private:
  // Invariant, per state:
  //  connecting     outgoing, not yet connected; watches EPOLLOUT only; no protocol yet.
  //  connected      the protocol exists and had connection_made; watches EPOLLIN unless
  //                 reading_paused_, plus EPOLLOUT exactly while the write buffer holds
  //                 bytes.
  //  disconnecting  lose_connection() was called: no more reading; watches EPOLLOUT until
  //                 the buffer is flushed, then closes (ConnectionDone).
  //  aborting       abort_connection() or a failed write: watches nothing, buffer dropped;
  //                 close() with the reason is queued for the next turn.
  //  closed         socket closed, connection_lost called (if a protocol existed); the
  //                 reactor destroys this object on the next turn. Nothing happens any more.
  enum class State { connecting, connected, disconnecting, aborting, closed };

  void on_ready(std::uint32_t events);
  void finish_connecting();
  void make_connection();
  void read_some();
  void write_buffered();
  void close(const Failure& reason);
  void close_soon(Failure reason);
  void protocol_failed(std::exception_ptr e);
  void update_interest();
  void drained();  // the write buffer just emptied: resume the producer this one paused
  std::size_t buffered() const noexcept { return out_.size() - out_sent_; }

  // In a trace the connection is a task (task_trace.hpp): it runs while the reactor runs its
  // protocol, and in between waits to read, or to write while bytes wait to go out.
  class Step;
  trace::TaskId task_id() const noexcept { return reinterpret_cast<std::uintptr_t>(this); }

  Reactor& reactor_;
  Factory& factory_;
  ClientFactory* client_;  // the factory, if this connection is outgoing
  State state_;
  std::unique_ptr<Protocol> protocol_;
  std::vector<std::byte> out_;  // bytes not yet taken by the socket start at out_sent_
  std::size_t out_sent_ = 0;
  // Flow control. Invariant: producer_paused_ only while producer_ is set, and then this
  // connection called producer_->pause_producing() and owes it a resume once out_ drains.
  PushProducer* producer_ = nullptr;
  bool producer_paused_ = false;
  bool reading_paused_ = false;  // this transport, as a producer, was paused
  bool traced_ = false;          // made while recording, and not finished in the trace
  bool raised_ = false;          // its protocol raised: the task ends with an exception
  Fd fd_;
  Watcher watcher_;  // after fd_: stops watching before the socket closes
};

}  // namespace cmbench::callbacks
