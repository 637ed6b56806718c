// The transport under a stream: one TCP connection, shared by its StreamReader and its
// StreamWriter (counted references), as asyncio's selector transport is.
//
// On the reactor (as asyncio's selector transport): each connection is one Connection with
// one level-triggered Watcher, shared by its reader and writer halves (counted references).
// While open, it reads whatever arrives into its buffer, pausing once 2 × limit bytes wait
// unread, so a reset is seen even with no read pending; a read the buffer cannot answer
// waits for the watcher to wake it. A write goes to the kernel at once; what it does not take
// waits in the write buffer until the socket is writable again. The fd is closed by close(),
// by a lost connection, or once both halves are gone and nothing waits to be sent.
//
// Cost: one readv(2) per readable event: into the buffer's free space, the rest into a
// per-thread 64 KiB scratch area, so an idle connection's buffer stays small. A write with
// nothing queued is one send(2). epoll_ctl only when the interest changes: a write buffer
// fills or empties, reading pauses or resumes.
// For the stream classes (stream_reader, stream_writer, open_connection, server) only.
// Thread-safety: a connection belongs to the thread of the loop it was made on.
#pragma once

#include <sys/epoll.h>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "models/core/engine.hpp"
#include "models/core/fd.hpp"
#include "models/core/tcp.hpp"
#include "models/coroutines/errors.hpp"
#include "models/coroutines/input_buffer.hpp"
#include "models/coroutines/stream_writer.hpp"
#include "models/coroutines/suspension.hpp"

namespace cmbench::coroutines {

class EventLoop;

namespace detail {

// An errno from a socket as the exception Python would raise for it.
std::exception_ptr os_error(int err, const std::string& what);
// The running loop, or InvalidStateError naming `who` (asyncio's get_running_loop).
EventLoop& running_loop(const char* who);
// std::invalid_argument unless the limit is at least 1 byte.
void check_limit(std::size_t limit);
// std::invalid_argument unless host is "127.0.0.1": the streams are loopback only.
void check_host(std::string_view host, const char* who);

// One TCP connection: the state both halves of a stream share (asyncio keeps it in the
// transport and the StreamReader's buffer). Every member is used on the loop thread only.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Engine& reactor, Fd socket, std::size_t limit)
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

}  // namespace detail
}  // namespace cmbench::coroutines
