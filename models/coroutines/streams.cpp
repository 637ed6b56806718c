#include "models/coroutines/streams.hpp"

#include <sys/epoll.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <span>

#include "models/core/fd.hpp"
#include "models/core/reactor.hpp"
#include "models/core/tcp.hpp"
#include "models/coroutines/event.hpp"
#include "models/coroutines/event_loop.hpp"

namespace cmbench::coroutines {

IncompleteReadError::IncompleteReadError(std::string partial, std::optional<std::size_t> expected)
    : std::runtime_error(std::to_string(partial.size()) + " bytes read on a total of " +
                         (expected ? std::to_string(*expected) : std::string("undefined")) +
                         " expected bytes"),
      partial_(std::move(partial)),
      expected_(expected) {}

namespace detail {
namespace {

// An errno from a socket as the exception Python would raise for it.
std::exception_ptr os_error(int err, const std::string& what) {
  auto code = std::error_code(err, std::generic_category());
  switch (err) {
    case ECONNREFUSED:
      return std::make_exception_ptr(ConnectionRefusedError(code, what));
    case ECONNRESET:
    case EPIPE:
    case ESHUTDOWN:
      return std::make_exception_ptr(ConnectionResetError(code, what));
    case ECONNABORTED:
      return std::make_exception_ptr(ConnectionError(code, what));
    default:
      return std::make_exception_ptr(std::system_error(code, what));
  }
}

EventLoop& running_loop(const char* who) {
  EventLoop* loop = EventLoop::running();
  if (!loop) throw InvalidStateError(std::string(who) + ": no running event loop (use run())");
  return *loop;
}

void check_limit(std::size_t limit) {
  if (limit == 0) throw std::invalid_argument("streams: the limit must be at least 1 byte");
}

void check_host(std::string_view host, const char* who) {
  if (host != "127.0.0.1")
    throw std::invalid_argument(std::string(who) + ": host must be \"127.0.0.1\" (loopback only)");
}

// Received bytes not yet read: [begin_, end_) of data_.
//
// Why the scratch area (muduo's Buffer::readFd does the same): reading straight into the
// buffer would need room for a large read in every connection's buffer, idle or not
// (64 KiB × 10 000 connections is 640 MB). Instead one readv(2) fills the free space the
// buffer has, and what does not fit lands in a per-thread 64 KiB area and is appended: a
// buffer holds only what has arrived and not been read, and a large read is still one
// system call.
class InputBuffer {
 public:
  std::string_view view() const noexcept { return {data_.get() + begin_, end_ - begin_}; }
  std::size_t size() const noexcept { return end_ - begin_; }

  // One readv(2). Bytes read, 0 at end of stream, nullopt if nothing is available now;
  // std::system_error for anything else.
  std::optional<std::size_t> read_from(int fd) {
    static constexpr std::size_t scratch_size = 64 * 1024;
    thread_local std::unique_ptr<char[]> scratch;  // not static TLS: only loop threads pay
    if (!scratch) scratch = std::make_unique_for_overwrite<char[]>(scratch_size);
    if (begin_ > 0 && capacity_ - end_ < 4096) compact();
    iovec parts[2] = {{data_.get() + end_, capacity_ - end_}, {scratch.get(), scratch_size}};
    ssize_t n;
    do {
      n = ::readv(fd, parts, 2);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
      throw std::system_error(errno, std::generic_category(), "read");
    }
    auto got = static_cast<std::size_t>(n);
    std::size_t in_place = std::min(got, capacity_ - end_);
    end_ += in_place;
    if (got > in_place) append(scratch.get(), got - in_place);
    return got;
  }

  std::string take(std::size_t n) {
    std::string out(data_.get() + begin_, n);
    drop(n);
    return out;
  }
  void drop(std::size_t n) noexcept {
    begin_ += n;
    if (begin_ < end_) return;
    begin_ = end_ = 0;
    if (capacity_ > keep_at_most) {  // a burst is over: give its memory back
      data_.reset();
      capacity_ = 0;
    }
  }

 private:
  static constexpr std::size_t keep_at_most = 256 * 1024;

  void compact() noexcept {
    std::memmove(data_.get(), data_.get() + begin_, size());
    end_ -= begin_;
    begin_ = 0;
  }
  void append(const char* from, std::size_t n) {
    if (capacity_ - end_ < n) {
      std::size_t capacity = std::max({capacity_ * 2, size() + n, std::size_t{4096}});
      auto data = std::make_unique_for_overwrite<char[]>(capacity);
      if (size() > 0) std::memcpy(data.get(), data_.get() + begin_, size());
      data_ = std::move(data);
      capacity_ = capacity;
      end_ -= begin_;
      begin_ = 0;
    }
    std::memcpy(data_.get() + end_, from, n);
    end_ += n;
  }

  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0, begin_ = 0, end_ = 0;
};

}  // namespace

// One TCP connection: the state both halves of a stream share (asyncio keeps it in the
// transport and the StreamReader's buffer). Every member is used on the loop thread only.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Reactor& reactor, Fd socket, std::size_t limit)
      : socket_(std::move(socket)),
        watcher_(reactor, socket_.get(), [this](std::uint32_t events) { on_ready(events); }),
        limit_(limit) {
    update_interest();
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  class DataWait;

  // ---- reading, for StreamReader's coroutines ----
  std::size_t limit() const noexcept { return limit_; }
  std::string_view buffered() const noexcept { return in_.view(); }
  std::string take(std::size_t n) {
    std::string out = in_.take(n);
    update_interest();  // reading may resume
    return out;
  }
  void drop(std::size_t n) {
    in_.drop(n);
    update_interest();
  }
  // No more bytes will arrive. Raises the error that lost the connection, if one did: the
  // caller asks only once the buffer cannot answer it.
  bool no_more_data() const {
    if (error_) std::rethrow_exception(error_);
    return eof_;
  }
  bool at_eof() const noexcept { return eof_ && in_.size() == 0; }

  // ---- writing, for StreamWriter ----
  void write(std::string_view data) {
    check_writable("write()");
    if (data.empty()) return;
    std::size_t sent = 0;
    if (unsent() == 0) {  // nothing queued: the kernel may take it all now
      sent = send(data);
      if (state_ == State::closed) std::rethrow_exception(error_);
    }
    if (sent < data.size()) {
      out_.append(data.substr(sent));
      if (unsent() > high_) paused_ = true;
      update_interest();
    }
  }

  void write_eof() {
    if (state_ != State::open || eof_written_) return;
    eof_written_ = true;
    if (unsent() == 0) shutdown_write();  // else once the buffer is sent
  }

  void close() {
    if (state_ != State::open) return;
    state_ = State::closing;
    eof_ = true;  // reading stops: a waiting read sees the end of the stream
    wake_reader();
    if (unsent() == 0) return finish_close();
    update_interest();
  }

  bool is_closing() const noexcept { return state_ != State::open; }
  std::size_t write_buffer_size() const noexcept { return unsent(); }

  void set_write_buffer_limits(std::size_t high, std::optional<std::size_t> low) {
    std::size_t l = low.value_or(high / 4);
    if (l > high) throw std::invalid_argument("set_write_buffer_limits: low exceeds high");
    high_ = high;
    low_ = l;
    if (unsent() > high_) paused_ = true;
    if (unsent() <= low_) resume_writers();
  }

 private:
  friend class StreamWriter::Drain;
  friend class StreamWriter::WaitClosed;

  enum class State : std::uint8_t { open, closing, closed };

  std::size_t unsent() const noexcept { return out_.size() - sent_; }

  void on_ready(std::uint32_t events) {
    // Waking a task only queues its step, so nothing in here runs user code; but the
    // connection may lose its last reference (keep_alive_) in here. The Watcher allows
    // being destroyed inside its own handler; `self` makes that happen on the way out.
    auto self = shared_from_this();
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && (watcher_.wanted() & EPOLLIN)) read_socket();
    if (state_ != State::closed && unsent() > 0 && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)))
      flush();
    update_interest();
  }

  void read_socket() {
    std::optional<std::size_t> got;
    try {
      got = in_.read_from(socket_.get());
    } catch (const std::system_error& e) {
      return lose(os_error(e.code().value(), "read from the peer"));
    }
    if (!got) return;
    if (*got == 0) eof_ = true;  // the peer half-closed: it may still read what we write
    wake_reader();
  }

  // One send(2): what the kernel took (0 if its buffer is full). A failure loses the
  // connection.
  std::size_t send(std::string_view data) {
    try {
      return tcp::write(socket_.get(), std::as_bytes(std::span(data.data(), data.size())))
          .value_or(0);
    } catch (const std::system_error& e) {
      lose(os_error(e.code().value(), "write to the peer"));
      return 0;
    }
  }

  // Sends what the kernel takes of the write buffer.
  void flush() {
    while (unsent() > 0) {
      std::size_t n = send(std::string_view(out_).substr(sent_));
      if (state_ == State::closed) return;
      if (n == 0) break;  // the socket's buffer is full: the rest waits for EPOLLOUT
      sent_ += n;
    }
    if (unsent() == 0) {
      out_.clear();
      sent_ = 0;
    } else if (sent_ > out_.size() / 2) {
      out_.erase(0, sent_);  // amortised: each byte is moved at most once on average
      sent_ = 0;
    }
    if (unsent() <= low_) resume_writers();
    if (unsent() > 0) return;
    if (state_ == State::closing) return finish_close();
    if (eof_written_) shutdown_write();
  }

  void shutdown_write() {
    try {
      tcp::shutdown_write(socket_.get());
    } catch (const std::system_error& e) {
      lose(os_error(e.code().value(), "shutdown"));
    }
  }

  void check_writable(const char* what) const {
    if (error_) std::rethrow_exception(error_);
    if (state_ != State::open)
      throw ConnectionResetError(std::error_code(EPIPE, std::generic_category()),
                                 std::string(what) + " on a closed StreamWriter");
    if (eof_written_) throw InvalidStateError(std::string(what) + " after write_eof()");
  }

  // The connection failed (reset by the peer, say): it closes now, and the error is raised
  // by what waits on it and by every later operation that needs the socket.
  void lose(std::exception_ptr error) {
    if (state_ == State::closed) return;
    error_ = std::move(error);
    finish_close();
  }

  void finish_close() {
    state_ = State::closed;
    eof_ = true;
    out_.clear();
    sent_ = 0;
    watcher_.want(0);  // before the fd goes: epoll forgets an fd only while it is open
    socket_.reset();
    wake_reader();
    resume_writers();
    while (!closers_.empty()) closers_.pop_front().task_->wake();
    update_interest();  // drops keep_alive_: the caller holds its own reference
  }

  void wake_reader() noexcept;  // below DataWait
  void resume_writers() noexcept {
    paused_ = false;
    while (!drainers_.empty()) drainers_.pop_front().task_->wake();
  }

  // Derives the watcher's interest and the self-reference from the state (see below).
  void update_interest() {
    std::uint32_t want = 0;
    if (state_ != State::closed) {
      if (!eof_ && (in_.size() < 2 * limit_ || reader_)) want |= EPOLLIN;
      if (unsent() > 0) want |= EPOLLOUT;
    }
    watcher_.want(want);
    if (unsent() > 0) {
      if (!keep_alive_) keep_alive_ = shared_from_this();
    } else {
      keep_alive_.reset();
    }
  }

  // The state. Invariants:
  //  - state_: open → closing (close() was called; the write buffer is still being sent)
  //    → closed (the fd is closed). Also open → closed when the connection is lost or its
  //    write buffer is empty at close(). Closed: nothing is watched, the write buffer is
  //    empty, no task waits (each was woken), and error_ holds what lost it, if anything.
  //  - eof_: no more bytes will be added to in_ (end of stream received, close() called,
  //    or closed). The bytes in in_ are still returned by reads.
  //  - reader_ is the one task waiting for data, if any; whoever adds bytes or sets eof_
  //    wakes it and clears reader_.
  //  - The watcher wants EPOLLIN iff not eof_ and (in_ holds less than 2 × limit_, or a
  //    reader waits: it may need more than that); EPOLLOUT iff bytes wait to be sent.
  //  - out_[sent_..] is what waits to be sent; keep_alive_ is set iff any does, so a
  //    connection whose handles are gone still sends what was written, then closes.
  //  - paused_: the write buffer went above high_ and has not yet come down to low_;
  //    drainers_ wait while it is set (asyncio's protocol pause_writing/resume_writing).
  Fd socket_;
  Watcher watcher_;  // declared after socket_: it stops watching before the fd closes
  State state_ = State::open;
  std::exception_ptr error_;
  std::shared_ptr<Connection> keep_alive_;

  InputBuffer in_;
  std::size_t limit_;
  bool eof_ = false;
  DataWait* reader_ = nullptr;

  std::string out_;
  std::size_t sent_ = 0;
  std::size_t high_ = 64 * 1024, low_ = 16 * 1024;
  bool paused_ = false;
  bool eof_written_ = false;
  WaitList<StreamWriter::Drain> drainers_;
  WaitList<StreamWriter::WaitClosed> closers_;
};

// Waits until bytes arrive or the stream ends (asyncio's StreamReader._wait_for_data). The
// reading coroutines loop on it: check the buffer, wait, check again.
class Connection::DataWait final : public Suspension {
 public:
  explicit DataWait(Connection& c) noexcept : c_(c) {}
  DataWait(const DataWait&) = delete;
  DataWait& operator=(const DataWait&) = delete;
  ~DataWait() {
    if (c_.reader_ == this) c_.reader_ = nullptr;
  }

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    if (c_.reader_)
      throw InvalidStateError(
          "StreamReader: another task is already waiting to read from this connection");
    // Before suspending, as what follows may throw: a waiting reader resumes paused reading.
    c_.reader_ = this;
    try {
      c_.update_interest();
    } catch (...) {
      c_.reader_ = nullptr;
      throw;
    }
    if (!begin(h)) {
      c_.reader_ = nullptr;
      return false;
    }
    return true;
  }
  void await_resume() const { end(); }

  // Leaves the interest as it is: recomputing it could throw, and one extra read into the
  // buffer on the next event (then reading pauses again) is harmless.
  trace::Wait waits_on() const noexcept override { return trace::Wait::read; }
  bool withdraw() noexcept override {
    c_.reader_ = nullptr;
    cancelled_ = true;
    return true;
  }
  TaskCore* task() const noexcept { return task_; }

 private:
  Connection& c_;
};

void Connection::wake_reader() noexcept {
  if (DataWait* r = std::exchange(reader_, nullptr)) r->task()->wake();
}

namespace {

using DataWait = Connection::DataWait;

// ---- the reads: each loops "answer from the buffer, or wait for data" ------------------

// Each takes the connection by value: the frame holds it even if the StreamReader goes.

Task<std::string> read_some(std::shared_ptr<Connection> c, std::ptrdiff_t n) {
  if (n == 0) co_return std::string();
  if (n < 0) {
    while (!c->no_more_data()) co_await DataWait(*c);
    co_return c->take(c->buffered().size());
  }
  while (c->buffered().empty()) {
    if (c->no_more_data()) co_return std::string();
    co_await DataWait(*c);
  }
  co_return c->take(std::min(static_cast<std::size_t>(n), c->buffered().size()));
}

Task<std::string> read_exactly(std::shared_ptr<Connection> c, std::size_t n) {
  while (c->buffered().size() < n) {
    if (c->no_more_data()) throw IncompleteReadError(c->take(c->buffered().size()), n);
    co_await DataWait(*c);
  }
  co_return c->take(n);
}

// readuntil, and readline (`line`) which differs only at the end of the stream (it returns
// the partial line) and on an overrun (it drops the line), as asyncio's.
Task<std::string> read_until(std::shared_ptr<Connection> c, std::string separator, bool line) {
  if (separator.empty()) throw std::invalid_argument("readuntil: the separator is empty");
  const std::size_t limit = c->limit();
  std::size_t from = 0;  // where the separator may start, given what was searched before
  for (;;) {
    std::string_view data = c->buffered();
    std::size_t at = data.find(separator, from);
    if (at != std::string_view::npos) {
      if (at <= limit) co_return c->take(at + separator.size());
      if (line) c->drop(at + separator.size());
      throw LimitOverrunError("the separator is found, but the chunk is longer than the limit", at);
    }
    if (data.size() >= separator.size()) from = data.size() + 1 - separator.size();
    if (from > limit) {
      if (line) c->drop(data.size());
      throw LimitOverrunError("the separator is not found, and the chunk exceeds the limit", from);
    }
    if (c->no_more_data()) {
      std::string partial = c->take(data.size());
      if (line) co_return partial;
      throw IncompleteReadError(std::move(partial), std::nullopt);
    }
    co_await DataWait(*c);
  }
}

// ---- connecting ------------------------------------------------------------------------

// Waits until a connecting socket is writable: connected, or failed.
class Connecting final : public Suspension {
 public:
  Connecting(Reactor& reactor, int fd)
      : watcher_(reactor, fd, [this](std::uint32_t) { ready(); }) {}

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    watcher_.want(EPOLLOUT);  // may throw: before the task is suspended
    if (!begin(h)) return false;
    waiting_ = true;
    return true;
  }
  void await_resume() const { end(); }
  trace::Wait waits_on() const noexcept override { return trace::Wait::write; }
  bool withdraw() noexcept override {
    waiting_ = false;  // the watcher goes with this awaiter, at the task's next step
    cancelled_ = true;
    return true;
  }

 private:
  void ready() {
    if (!waiting_) return;  // level-triggered: it fires until the watcher goes
    waiting_ = false;
    task_->wake();
    watcher_.want(0);
  }

  Watcher watcher_;
  bool waiting_ = false;
};

}  // namespace

// ---- the server's state ----------------------------------------------------------------

// A listening socket, the handler, and the count of its handlers' tasks still running.
// Shared by the Server and those tasks, so the handler (and a lambda's captures) outlive
// every task it started.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(EventLoop& loop, ClientConnected handler, std::uint16_t port, std::size_t limit)
      : handler_(std::move(handler)),
        loop_(loop),
        limit_(limit),
        socket_(tcp::listen(port)),
        port_(tcp::local_port(socket_.get())) {
    watcher_.emplace(loop_.reactor(), socket_.get(), [this](std::uint32_t) { accept_ready(); });
    watcher_->want(EPOLLIN);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener() { close(); }

  std::uint16_t port() const noexcept { return port_; }
  bool is_serving() const noexcept { return static_cast<bool>(socket_); }

  void close() noexcept {
    if (!socket_) return;
    if (retrying_) loop_.reactor().cancel(retry_);
    watcher_.reset();  // before the fd it watches; nothing of ours runs inside its handler
    socket_.reset();
    closed_.set();
    if (active_ == 0) idle_.set();
  }

  void report(const std::string& what) { loop_.reactor().report_error(what); }

  // Counts a handler's task from before it is scheduled until its frame is gone.
  class Slot {
   public:
    explicit Slot(std::shared_ptr<Listener> l) noexcept : l_(std::move(l)) { ++l_->active_; }
    Slot(Slot&&) noexcept = default;
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (l_ && --l_->active_ == 0 && !l_->socket_) l_->idle_.set();
    }
    Listener& server() const noexcept { return *l_; }

   private:
    std::shared_ptr<Listener> l_;
  };

  // For the server's coroutines (serve_client, wait_closed, serve_forever).
  ClientConnected handler_;
  Event closed_;  // set by close()
  Event idle_;    // set once closed with no handler task left
  bool serving_forever_ = false;

 private:
  void accept_ready();

  // Invariant: socket_ is open ⇔ watcher_ is set ⇔ the server is serving (closed_ not
  // set); while an accept failure pauses it, the watcher wants nothing and retry_ is a
  // pending timer (retrying_). active_ counts the Slots alive: handler tasks not finished.
  EventLoop& loop_;
  std::size_t limit_;
  Fd socket_;
  std::uint16_t port_;
  std::optional<Watcher> watcher_;  // declared after socket_: it goes first
  Reactor::TimerHandle retry_{};
  bool retrying_ = false;
  std::size_t active_ = 0;
};

namespace {

// The task of one connection: runs the handler, and reports what it raises (asyncio logs
// "Unhandled exception in client_connected_cb"); a cancellation passes through.
Task<void> serve_client(Listener::Slot slot, std::shared_ptr<Connection> c) {
  // A coroutine's parameters live as long as its frame, which a TaskRef (current_task())
  // may keep after the task has finished: the slot must end with the body instead.
  Listener::Slot active = std::move(slot);
  try {
    Task<void> handling = active.server().handler_(StreamReader(c), StreamWriter(c));
    c.reset();  // the handler's reader and writer are the connection's only handles now
    co_await handling;
  } catch (const std::exception& e) {
    active.server().report(std::string("start_server: a connection's handler raised: ") + e.what());
  } catch (const CancelledError&) {
    throw;
  } catch (...) {
    active.server().report(
        "start_server: a connection's handler raised an exception not derived from "
        "std::exception");
  }
}

}  // namespace

void Listener::accept_ready() {
  // With eager tasks (RunOptions::eager_tasks) create_task runs a handler's first step in
  // here: it may close the server, even drop the last Server.
  auto self = shared_from_this();
  // At most 64 per turn, so that a burst of connections cannot starve the rest of the loop.
  for (int i = 0; i < 64 && socket_; ++i) {
    Fd accepted;
    try {
      accepted = tcp::accept(socket_.get());
    } catch (const std::system_error& e) {
      // Out of fds (EMFILE), say: level-triggered, the socket would wake us at once again.
      // Pause, as asyncio does, and let connections end meanwhile.
      report(std::string("start_server: accept failed, retrying in 1 s: ") + e.what());
      watcher_->want(0);
      retrying_ = true;
      retry_ = loop_.reactor().call_later(std::chrono::seconds(1), [this] {
        retrying_ = false;
        watcher_->want(EPOLLIN);
      });
      return;
    }
    if (!accepted) return;
    auto c = std::make_shared<Connection>(loop_.reactor(), std::move(accepted), limit_);
    Task<void> task = create_task(serve_client(Slot(shared_from_this()), std::move(c)));
    task.core().retrieve();  // the task reports its own failure: nobody need await it
  }
}

}  // namespace detail

// ---- StreamReader ----------------------------------------------------------------------

Task<std::string> StreamReader::read(std::ptrdiff_t n) {
  return detail::read_some(c_, n);
}
Task<std::string> StreamReader::readline() {
  return detail::read_until(c_, "\n", true);
}
Task<std::string> StreamReader::readexactly(std::size_t n) {
  return detail::read_exactly(c_, n);
}
Task<std::string> StreamReader::readuntil(std::string separator) {
  return detail::read_until(c_, std::move(separator), false);
}
bool StreamReader::at_eof() const noexcept {
  return c_->at_eof();
}
std::size_t StreamReader::limit() const noexcept {
  return c_->limit();
}

// ---- StreamWriter ----------------------------------------------------------------------

void StreamWriter::write(std::string_view data) {
  c_->write(data);
}
void StreamWriter::write_eof() {
  c_->write_eof();
}
StreamWriter::Drain StreamWriter::drain() noexcept {
  return Drain(c_);
}
void StreamWriter::close() {
  c_->close();
}
bool StreamWriter::is_closing() const noexcept {
  return c_->is_closing();
}
StreamWriter::WaitClosed StreamWriter::wait_closed() noexcept {
  return WaitClosed(c_);
}
std::size_t StreamWriter::get_write_buffer_size() const noexcept {
  return c_->write_buffer_size();
}
void StreamWriter::set_write_buffer_limits(std::size_t high, std::optional<std::size_t> low) {
  c_->set_write_buffer_limits(high, low);
}

StreamWriter::Drain::~Drain() {
  c_->drainers_.remove(*this);
}
bool StreamWriter::Drain::await_ready() noexcept {
  closed_ = c_->state_ == detail::Connection::State::closed;
  return closed_ || !c_->paused_;
}
bool StreamWriter::Drain::await_suspend(std::coroutine_handle<> h) {
  if (!begin(h)) return false;
  c_->drainers_.push_back(*this);
  return true;
}
void StreamWriter::Drain::await_resume() const {
  end();
  if (c_->error_) std::rethrow_exception(c_->error_);
  if (closed_)
    throw ConnectionResetError(std::error_code(EPIPE, std::generic_category()),
                               "drain() on a closed StreamWriter");
}
bool StreamWriter::Drain::withdraw() noexcept {
  c_->drainers_.remove(*this);
  cancelled_ = true;
  return true;
}

StreamWriter::WaitClosed::~WaitClosed() {
  c_->closers_.remove(*this);
}
bool StreamWriter::WaitClosed::await_ready() const noexcept {
  return c_->state_ == detail::Connection::State::closed;
}
bool StreamWriter::WaitClosed::await_suspend(std::coroutine_handle<> h) {
  if (!begin(h)) return false;
  c_->closers_.push_back(*this);
  return true;
}
void StreamWriter::WaitClosed::await_resume() const {
  end();
  if (c_->error_) std::rethrow_exception(c_->error_);
}
bool StreamWriter::WaitClosed::withdraw() noexcept {
  c_->closers_.remove(*this);
  cancelled_ = true;
  return true;
}

// ---- open_connection -------------------------------------------------------------------

Task<std::pair<StreamReader, StreamWriter>> open_connection(std::uint16_t port, std::size_t limit) {
  detail::check_limit(limit);
  Reactor& reactor = detail::running_loop("open_connection").reactor();
  const std::string where = "connect to 127.0.0.1:" + std::to_string(port);
  Fd socket;
  try {
    socket = tcp::connect(port);  // loopback may refuse at once
  } catch (const std::system_error& e) {
    std::rethrow_exception(detail::os_error(e.code().value(), where));
  }
  co_await detail::Connecting(reactor, socket.get());
  if (int err = tcp::connect_error(socket.get()))
    std::rethrow_exception(detail::os_error(err, where));
  auto c = std::make_shared<detail::Connection>(reactor, std::move(socket), limit);
  co_return std::pair{StreamReader(c), StreamWriter(c)};
}

Task<std::pair<StreamReader, StreamWriter>> open_connection(std::string_view host,
                                                            std::uint16_t port, std::size_t limit) {
  detail::check_host(host, "open_connection");
  return open_connection(port, limit);
}

// ---- Server and start_server -----------------------------------------------------------

Server& Server::operator=(Server&& o) noexcept {
  if (this != &o) {
    if (l_) l_->close();
    l_ = std::move(o.l_);
  }
  return *this;
}

Server::~Server() {
  if (l_) l_->close();
}

std::uint16_t Server::port() const noexcept {
  return l_->port();
}
bool Server::is_serving() const noexcept {
  return l_->is_serving();
}
void Server::close() {
  l_->close();
}

namespace {

Task<void> wait_idle(std::shared_ptr<detail::Listener> l) {
  co_await l->idle_.wait();
}

Task<void> serve(std::shared_ptr<detail::Listener> l) {
  if (!l->is_serving()) throw InvalidStateError("serve_forever: the server is closed");
  if (l->serving_forever_)
    throw InvalidStateError("serve_forever: another task is already serving it forever");
  l->serving_forever_ = true;
  struct Serving {
    detail::Listener& l;
    ~Serving() { l.serving_forever_ = false; }
  } serving{*l};
  try {
    co_await l->closed_.wait();
  } catch (const CancelledError&) {
    l->close();
    throw;
  }
}

}  // namespace

Task<void> Server::wait_closed() {
  return wait_idle(l_);
}
Task<void> Server::serve_forever() {
  return serve(l_);
}

Task<Server> start_server(ClientConnected handler, std::uint16_t port, std::size_t limit) {
  if (!handler) throw std::invalid_argument("start_server: no handler");
  detail::check_limit(limit);
  EventLoop& loop = detail::running_loop("start_server");
  co_return Server(std::make_shared<detail::Listener>(loop, std::move(handler), port, limit));
}

Task<Server> start_server(ClientConnected handler, std::string_view host, std::uint16_t port,
                          std::size_t limit) {
  detail::check_host(host, "start_server");
  return start_server(std::move(handler), port, limit);
}

}  // namespace cmbench::coroutines
