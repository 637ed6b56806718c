#include "connection.hpp"

#include <sys/epoll.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "models/callbacks/reactor.hpp"
#include "models/callbacks/task_trace.hpp"
#include "models/core/tcp.hpp"

namespace cmbench::callbacks {

// While alive: the connection's task runs (woken by `why`); after, it waits to read or to
// write, or it has finished once closed. Nothing unless the connection is traced.
class Connection::Step {
 public:
  Step(Connection& c, trace::Cause why) noexcept : c_(c) {
    if (c.traced_) [[unlikely]]
      enter(why);
  }
  ~Step() {
    if (active_) [[unlikely]]
      leave();
  }
  Step(const Step&) = delete;
  Step& operator=(const Step&) = delete;

 private:
  void enter(trace::Cause why) noexcept {
    active_ = true;
    const trace::TaskId me = c_.task_id();
    if (trace::current() != me) trace::woken(me, why);
    previous_ = detail::switch_to(me);
  }
  void leave() noexcept {
    const trace::TaskId me = c_.task_id();
    if (c_.state_ == State::closed) {
      if (c_.traced_)
        trace::finished(me, c_.raised_ ? trace::Outcome::exception : trace::Outcome::ok);
      c_.traced_ = false;
    } else if (trace::current() == me) {
      const bool writing = c_.state_ != State::connected || c_.buffered() > 0;
      trace::suspended(me, writing ? trace::Wait::write : trace::Wait::read);
    }
    detail::switch_back(me, previous_);
  }
  Connection& c_;
  bool active_ = false;
  trace::TaskId previous_ = 0;
};

Connection::Connection(Reactor& reactor, Fd fd, Factory& factory)
    : reactor_(reactor),
      factory_(factory),
      client_(nullptr),
      state_(State::connected),
      fd_(std::move(fd)),
      watcher_(reactor.engine(), fd_.get(), [this](std::uint32_t events) { on_ready(events); }) {
  if (trace::on()) [[unlikely]] {
    traced_ = true;
    trace::created(task_id());
  }
}

Connection::~Connection() {
  // Closed with the reactor, still open: it never ends on its own.
  if (traced_) [[unlikely]]
    trace::finished(task_id(), trace::Outcome::cancelled);
}

Connection::Connection(Reactor& reactor, Fd fd, ClientFactory& factory)
    : Connection(reactor, std::move(fd), static_cast<Factory&>(factory)) {
  client_ = &factory;
  state_ = State::connecting;
}

void Connection::start() {
  Step step(*this, trace::Cause::io);  // accepted, or its connect has begun
  if (state_ == State::connecting) return update_interest();
  try {
    make_connection();
  } catch (...) {
    protocol_failed(std::current_exception());
  }
}

void Connection::make_connection() {
  protocol_ = factory_.build_protocol();
  if (!protocol_) {  // the factory refused this connection
    state_ = State::aborting;
    return close(Failure(ConnectionDone()));
  }
  protocol_->factory = &factory_;
  protocol_->transport = this;
  update_interest();
  protocol_->connection_made(*this);
}

// The watcher's handler: the only place, with the queued close of close_soon, from which
// connection_lost is called.
void Connection::on_ready(std::uint32_t events) {
  Step step(*this, trace::Cause::io);
  detail::Because io(trace::Cause::io);  // what its protocol fires was woken by the socket
  try {
    if (state_ == State::connecting) return finish_connecting();
    // A paused connection reads nothing, even if this batch reported EPOLLIN before the
    // pause: a reset reaches it through the write below, a clean close on resume.
    if (state_ == State::connected && !reading_paused_ &&
        (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
      read_some();
    if ((state_ == State::connected || state_ == State::disconnecting) &&
        (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) &&
        (buffered() > 0 || state_ == State::disconnecting))
      write_buffered();
  } catch (...) {
    protocol_failed(std::current_exception());
  }
}

void Connection::finish_connecting() {
  if (int err = tcp::connect_error(fd_.get())) {
    state_ = State::closed;
    watcher_.want(0);
    fd_.reset();
    reactor_.forget(*this);
    std::string why = std::strerror(err);
    return client_->client_connection_failed(
        err == ECONNREFUSED ? Failure(ConnectionRefusedError(why)) : Failure(ConnectError(why)));
  }
  state_ = State::connected;
  make_connection();
}

void Connection::read_some() {
  std::span<std::byte> buffer = reactor_.read_buffer();
  std::optional<std::size_t> n;
  try {
    n = tcp::read(fd_.get(), buffer);
  } catch (const std::system_error& e) {  // ECONNRESET and the like: the peer's doing
    return close(Failure(ConnectionLost(e.what())));
  }
  if (!n) return;                                        // nothing after all
  if (*n == 0) return close(Failure(ConnectionDone()));  // the peer closed
  protocol_->data_received(buffer.first(*n));
}

void Connection::write(std::span<const std::byte> data) {
  if (state_ != State::connected && state_ != State::disconnecting) return;
  if (buffered() == 0 && !data.empty()) {  // try the socket now: no queue, no epoll round
    try {
      if (auto n = tcp::write(fd_.get(), data)) data = data.subspan(*n);
    } catch (const std::system_error& e) {
      return close_soon(Failure(ConnectionLost(e.what())));
    }
  }
  if (data.empty()) return;
  // Drop what was sent before appending, once it is most of the buffer: bounded waste, and
  // no memmove per write.
  if (out_sent_ > 65536 && out_sent_ * 2 > out_.size()) {
    out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(out_sent_));
    out_sent_ = 0;
  }
  out_.insert(out_.end(), data.begin(), data.end());
  // Before update_interest: pausing this very transport (an echo) then costs one epoll_ctl.
  if (producer_ && !producer_paused_ && buffered() > buffer_size) {
    producer_paused_ = true;
    producer_->pause_producing();
  }
  update_interest();
}

void Connection::write_buffered() {
  while (buffered() > 0) {
    std::optional<std::size_t> n;
    try {
      n = tcp::write(fd_.get(), std::span(out_).subspan(out_sent_));
    } catch (const std::system_error& e) {
      return close(Failure(ConnectionLost(e.what())));
    }
    if (!n) return;  // the socket is full again: wait for the next EPOLLOUT
    out_sent_ += *n;
  }
  out_.clear();
  out_sent_ = 0;
  if (state_ == State::disconnecting) return close(Failure(ConnectionDone()));
  drained();
  update_interest();
}

// As Twisted's FileDescriptor.doWrite: only a producer this transport paused is resumed, and
// only once everything is written (not at a low-water mark). Its resume_producing may write
// here again, pause again, or close: the flag is cleared first.
void Connection::drained() {
  if (!producer_paused_) return;
  producer_paused_ = false;
  producer_->resume_producing();
}

void Connection::pause_producing() {
  reading_paused_ = true;
  if (state_ == State::connected) update_interest();
}

void Connection::resume_producing() {
  reading_paused_ = false;
  if (state_ == State::connected) update_interest();
}

void Connection::register_producer(PushProducer& producer) {
  if (producer_)
    throw std::logic_error(
        "register_producer: this transport already has a producer; unregister it first");
  if (state_ == State::aborting || state_ == State::closed) return producer.stop_producing();
  producer_ = &producer;
  producer_paused_ = false;
}

void Connection::unregister_producer() {
  producer_ = nullptr;
  producer_paused_ = false;
}

void Connection::lose_connection() {
  if (state_ != State::connected) return;
  state_ = State::disconnecting;
  update_interest();  // EPOLLOUT only: the handler flushes, then closes
}

void Connection::abort_connection() {
  if (state_ != State::connected && state_ != State::disconnecting) return;
  close_soon(Failure(ConnectionAborted()));
}

void Connection::close_soon(Failure reason) {
  state_ = State::aborting;
  out_.clear();
  out_sent_ = 0;
  watcher_.want(0);
  reactor_.engine().call_soon([this, reason = std::move(reason)] {
    Step step(*this, trace::Cause::event);
    close(reason);
  });
}

void Connection::close(const Failure& reason) {
  if (state_ == State::closed) return;
  state_ = State::closed;
  watcher_.want(0);
  fd_.reset();
  out_.clear();
  out_sent_ = 0;
  reactor_.forget(*this);  // queued: this object outlives the calls below
  // The consumer is gone: so is the producer's reason to produce (Twisted's connectionLost).
  if (PushProducer* producer = std::exchange(producer_, nullptr)) {
    producer_paused_ = false;
    try {
      producer->stop_producing();  // a no-op when it is this transport: already closed
    } catch (const std::exception& e) {
      reactor_.engine().report_error(std::string("stop_producing raised: ") + e.what());
    } catch (...) {
      reactor_.engine().report_error("stop_producing raised a non-standard exception");
    }
  }
  if (!protocol_) return;
  try {
    protocol_->connection_lost(reason);
  } catch (const std::exception& e) {
    reactor_.engine().report_error(std::string("connection_lost raised: ") + e.what());
  } catch (...) {
    reactor_.engine().report_error("connection_lost raised a non-standard exception");
  }
}

// A protocol method (or the factory) threw: Twisted logs it and drops the connection, with
// the exception as connection_lost's reason.
void Connection::protocol_failed(std::exception_ptr e) {
  Failure why(e);
  raised_ = true;
  reactor_.engine().report_error("a protocol raised: " + why.error_message());
  close(why);
}

void Connection::update_interest() {
  std::uint32_t events = 0;
  switch (state_) {
    case State::connecting:
    case State::disconnecting:
      events = EPOLLOUT;
      break;
    case State::connected:
      events = (reading_paused_ ? 0u : EPOLLIN) | (buffered() > 0 ? EPOLLOUT : 0u);
      break;
    case State::aborting:
    case State::closed:
      break;
  }
  watcher_.want(events);
}

}  // namespace cmbench::callbacks
