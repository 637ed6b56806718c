#include "iostream.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "models/core/engine.hpp"
#include "models/core/host.hpp"
#include "models/core/tcp.hpp"
#include "models/futures/io_loop.hpp"

namespace cmbench::futures::detail {
namespace {

constexpr std::size_t read_chunk = 64 * 1024;

// Received bytes not yet returned: [begin_, end_) of data_. Grows by doubling; moves its
// content to the front instead of growing when that makes room.
class Buffer {
 public:
  std::string_view view() const noexcept { return {data_.data() + begin_, end_ - begin_}; }
  std::size_t size() const noexcept { return end_ - begin_; }

  std::span<char> space(std::size_t at_least) {
    if (data_.size() - end_ < at_least) {
      std::size_t n = size();
      if (begin_ > 0) std::memmove(data_.data(), data_.data() + begin_, n);
      begin_ = 0;
      end_ = n;
      if (data_.size() - end_ < at_least) data_.resize(std::max(data_.size() * 2, end_ + at_least));
    }
    return {data_.data() + end_, data_.size() - end_};
  }
  void commit(std::size_t n) noexcept { end_ += n; }

  std::string take(std::size_t n) {
    std::string out(data_.data() + begin_, n);
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
    return out;
  }

 private:
  std::vector<char> data_;
  std::size_t begin_ = 0, end_ = 0;
};

}  // namespace

enum class Reading { none, until, bytes };

class Stream : public std::enable_shared_from_this<Stream> {
 public:
  Stream(IOLoop& loop, Fd socket)
      : loop_(&loop),
        socket_(std::move(socket)),
        watcher_(std::make_unique<Watcher>(loop.engine(), socket_.get(),
                                           [this](std::uint32_t events) { on_ready(events); })) {
    loop_->streams_.insert(this);
    if (trace::on()) [[unlikely]] {
      traced_ = true;
      trace::created(task_id());
    }
  }

  ~Stream() {
    if (traced_) [[unlikely]]
      trace_finished(trace::Outcome::cancelled);
    if (!loop_) return;  // the loop closed it (and freed its watcher) as it went away
    loop_->streams_.erase(this);
    retire_watcher();
  }

  // The loop is going away: close, and forget it.
  void detach() {
    close();
    loop_ = nullptr;
  }

  Future<std::string> start_read(Reading kind, std::string delimiter, std::size_t n,
                                 bool partial = false) {
    auto keep = shared_from_this();
    Future<std::string> read;
    Access::state(read).set_wait(trace::Wait::read);  // what its follower waits on
    if (reading_ != Reading::none) {
      read.set_exception(std::make_exception_ptr(std::logic_error("IOStream: already reading")));
      return read;
    }
    if (kind == Reading::until && delimiter.empty()) {
      read.set_exception(
          std::make_exception_ptr(std::invalid_argument("read_until: empty delimiter")));
      return read;
    }
    reading_ = kind;
    delimiter_ = std::move(delimiter);
    bytes_wanted_ = n;
    partial_ = partial;
    scanned_ = 0;
    read_ = read;
    if (!answer_read() && !closed_ && !handling_) {
      read_socket();  // the data may be there already: spare an epoll round trip
      answer_read();
    }
    settle_read();
    if (!handling_) update_interest();  // else on_ready does, once
    return read;
  }

  Future<void> write(std::string_view data) {
    auto keep = shared_from_this();
    Future<void> written;
    Access::state(written).set_wait(trace::Wait::write);
    if (closed_) {
      written.set_exception(closed_error());
      written.exception();  // nobody need look at a write's failure: no "never retrieved"
      return written;
    }
    out_.append(data);
    queued_ += data.size();
    writes_.emplace_back(queued_, written);
    write_socket();
    if (!handling_) update_interest();  // else on_ready does, once
    return written;
  }

  Future<IOStream> connect() {
    connecting_ = Future<IOStream>();
    Access::state(*connecting_).set_wait(trace::Wait::write);
    auto connected = *connecting_;
    update_interest();
    return connected;
  }

  // Closes the socket and fails what is pending; `why` is the error that closed it, if any.
  void close(std::exception_ptr why = nullptr) {
    if (closed_) return;
    closed_ = true;
    why_ = std::move(why);
    retire_watcher();
    socket_.reset();
    // Each failure runs its continuations inline: they find the stream already closed.
    if (connecting_) {
      auto connecting = std::move(*connecting_);
      connecting_.reset();
      connecting.set_exception(why_ ? why_ : closed_error());
      connecting.exception();  // as Tornado marks what a close fails: no "never retrieved"
    }
    settle_read();
    while (!writes_.empty()) {
      auto written = std::move(writes_.front().second);
      writes_.pop_front();
      written.set_exception(closed_error());
      written.exception();
    }
    out_.clear();
    sent_ = 0;
    keep_alive_.reset();  // callers hold their own reference
    // Closed by another task (or none): the stream's task ends now. From its own event,
    // when that event has been handled (on_ready).
    if (traced_ && !handling_) [[unlikely]]
      trace_finished(trace::Outcome::ok);
  }

  bool closed() const noexcept { return closed_; }
  int fd() const noexcept { return socket_.get(); }

 private:
  void on_ready(std::uint32_t events) {
    auto keep = shared_from_this();  // this may lose its last other reference in here
    // In a trace, the stream's task runs while its event is handled, woken by the socket.
    Because io(trace::Cause::io);
    struct Step {
      Stream& s;
      trace::TaskId previous = 0;
      explicit Step(Stream& stream) noexcept : s(stream) {
        if (s.traced_) [[unlikely]]
          previous = wake_and_run(s.task_id());
      }
      ~Step() {
        if (s.traced_) [[unlikely]]
          s.trace_step_end(previous);
      }
    } step(*this);
    // While set, the continuations run below leave the interest to the update at the end:
    // a read answered, then a write and the next read started from its continuation, would
    // otherwise stop watching and watch again (two epoll_ctl) for an interest unchanged.
    handling_ = true;
    struct Handled {
      bool& handling;
      ~Handled() { handling = false; }
    } handled{handling_};
    if (connecting_) {
      finish_connect();
    } else {
      if (reading_ != Reading::none && (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
        // Read until the read is answered or the socket has nothing more for now.
        while (!closed_ && reading_ != Reading::none && read_socket() && !answer_read()) {
        }
        settle_read();
      }
      if (!closed_ && sent_ < out_.size() && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
        write_socket();
    }
    handling_ = false;
    update_interest();
  }

  void finish_connect() {
    int error = tcp::connect_error(socket_.get());
    auto connecting = std::move(*connecting_);
    connecting_.reset();
    if (error) {
      auto why = std::make_exception_ptr(std::system_error(
          error, std::generic_category(), "connect to " + host::server_address_text()));
      close(why);
      connecting.set_exception(why);
    } else {
      connecting.set_result(IOStream(shared_from_this()));
    }
  }

  // One read(2) into the buffer. True if it got bytes; end of stream or an error close
  // the stream.
  bool read_socket() {
    try {
      auto got = tcp::read(socket_.get(), std::as_writable_bytes(in_.space(read_chunk)));
      if (!got) return false;  // nothing for now
      if (*got == 0) {
        close();  // end of stream: the peer closed
        return false;
      }
      in_.commit(*got);
      return true;
    } catch (const std::system_error&) {
      close(std::current_exception());  // reset by the peer, say
      return false;
    }
  }

  // Answers the pending read from the buffer if it can. Its continuation runs inline and
  // may start the next read.
  bool answer_read() {
    if (reading_ == Reading::none) return false;
    std::size_t length;
    if (reading_ == Reading::until) {
      std::string_view data = in_.view();
      // A delimiter may straddle what was scanned before and what arrived since.
      std::size_t from = scanned_ >= delimiter_.size() ? scanned_ - (delimiter_.size() - 1) : 0;
      std::size_t at = data.find(delimiter_, from);
      if (at == std::string_view::npos) {
        scanned_ = data.size();
        return false;
      }
      length = at + delimiter_.size();
    } else {
      if (in_.size() < bytes_wanted_ && !(partial_ && in_.size() > 0)) return false;
      length = std::min(in_.size(), bytes_wanted_);
    }
    auto read = take_read();
    read.set_result(in_.take(length));
    return true;
  }

  // Once the stream is closed, a pending read that the buffer cannot answer never will be.
  void settle_read() {
    if (closed_ && reading_ != Reading::none && !answer_read()) {
      auto read = take_read();
      read.set_exception(closed_error());
      read.exception();  // the close is the report: no "never retrieved"
    }
  }

  Future<std::string> take_read() {
    auto read = std::move(*read_);
    read_.reset();
    reading_ = Reading::none;
    return read;
  }

  // Sends what the kernel takes now; resolves the writes that are wholly sent.
  void write_socket() {
    while (sent_ < out_.size()) {
      std::optional<std::size_t> n;
      try {
        n = tcp::write(socket_.get(), std::as_bytes(std::span(out_).subspan(sent_)));
      } catch (const std::system_error&) {
        close(std::current_exception());  // EPIPE, ECONNRESET
        return;
      }
      if (!n) break;  // the socket's buffer is full: the rest waits for EPOLLOUT
      sent_ += *n;
      flushed_ += *n;
    }
    if (sent_ == out_.size()) {
      out_.clear();
      sent_ = 0;
    } else if (sent_ > out_.size() / 2) {
      out_.erase(0, sent_);
      sent_ = 0;
    }
    while (!writes_.empty() && writes_.front().first <= flushed_) {
      auto written = std::move(writes_.front().second);
      writes_.pop_front();
      written.set_result();  // its continuation may write again
    }
  }

  // Stops watching, and frees the watcher on the loop's next turn: this may run inside the
  // watcher's own handler.
  void retire_watcher() {
    if (!watcher_) return;
    watcher_->want(0);
    loop_->engine().call_soon([gone = std::move(watcher_)] {});
  }

  // Watches for what the pending operations need; holds the stream alive while it does.
  trace::TaskId task_id() const noexcept { return reinterpret_cast<std::uintptr_t>(this); }
  void trace_finished(trace::Outcome o) noexcept {
    traced_ = false;
    trace::finished(task_id(), o);
  }
  // The end of a step of the stream's task: it finished if closed, else waits on its socket.
  void trace_step_end(trace::TaskId previous) noexcept {
    const trace::TaskId me = task_id();
    if (closed_)
      trace_finished(why_ ? trace::Outcome::exception : trace::Outcome::ok);
    else if (trace::current() == me)
      trace::suspended(me,
                       connecting_ || sent_ < out_.size() ? trace::Wait::write : trace::Wait::read);
    switch_back(me, previous);
  }

  void update_interest() {
    std::uint32_t want = 0;
    if (!closed_) {
      if (connecting_) want = EPOLLOUT;
      if (reading_ != Reading::none) want |= EPOLLIN;
      if (sent_ < out_.size()) want |= EPOLLOUT;
    }
    if (watcher_) watcher_->want(want);
    if (want && !keep_alive_)
      keep_alive_ = shared_from_this();
    else if (!want)
      keep_alive_.reset();  // callers hold their own reference
  }

  std::exception_ptr closed_error() const {
    std::string what = "stream closed";
    if (why_) {
      try {
        std::rethrow_exception(why_);
      } catch (const std::exception& e) {
        what += std::string(": ") + e.what();
      } catch (...) {
      }
    }
    return std::make_exception_ptr(StreamClosedError(what));
  }

  // The state. Invariants:
  //  - closed_ ⇔ the socket is closed; then nothing is pending and nothing is watched
  //    (watcher_ is null).
  //  - reading_ != none ⇔ read_ holds the pending read's future (at most one).
  //  - out_[sent_..] is what is queued and not yet sent; writes_ lists the pending writes'
  //    futures with the byte count (since the start) at which each is wholly sent, in order;
  //    flushed_ counts the bytes sent since the start.
  //  - the watcher wants EPOLLIN iff a read is pending, EPOLLOUT iff bytes wait to be sent
  //    or the connection is being made; keep_alive_ is set iff it wants anything.
  IOLoop* loop_;  // null once the loop has gone away
  Fd socket_;
  std::unique_ptr<Watcher> watcher_;  // null once closed
  bool closed_ = false;
  std::exception_ptr why_;

  Reading reading_ = Reading::none;
  std::optional<Future<std::string>> read_;
  std::string delimiter_;
  std::size_t bytes_wanted_ = 0;
  bool partial_ = false;     // read_bytes answers with what there is, once there is some
  bool handling_ = false;    // on_ready is running (see there)
  bool traced_ = false;      // a task in the trace (task_trace.hpp), not finished yet
  std::size_t scanned_ = 0;  // buffered bytes already searched for the delimiter
  Buffer in_;

  std::string out_;
  std::size_t sent_ = 0;
  std::uint64_t queued_ = 0, flushed_ = 0;
  std::deque<std::pair<std::uint64_t, Future<void>>> writes_;

  std::optional<Future<IOStream>> connecting_;
  std::shared_ptr<Stream> keep_alive_;
};

void close_streams(std::unordered_set<Stream*>& streams) noexcept {
  // Closing one stream runs continuations that may drop others: hold them all first.
  std::vector<std::shared_ptr<Stream>> open;
  for (Stream* s : streams) open.push_back(s->shared_from_this());
  for (auto& s : open) s->detach();
  streams.clear();
}

}  // namespace cmbench::futures::detail

namespace cmbench::futures {

IOStream::IOStream(Fd socket)
    : stream_(std::make_shared<detail::Stream>(IOLoop::current(), std::move(socket))) {}

IOStream::IOStream(std::shared_ptr<detail::Stream> stream) noexcept : stream_(std::move(stream)) {}

Future<std::string> IOStream::read_until(std::string delimiter) {
  return stream_->start_read(detail::Reading::until, std::move(delimiter), 0);
}

Future<std::string> IOStream::read_bytes(std::size_t n, bool partial) {
  return stream_->start_read(detail::Reading::bytes, {}, n, partial);
}

Future<void> IOStream::write(std::string_view data) {
  return stream_->write(data);
}

void IOStream::close() {
  stream_->close();
}

bool IOStream::closed() const noexcept {
  return stream_->closed();
}

int IOStream::fd() const noexcept {
  return stream_->fd();
}

Future<IOStream> IOStream::connect(std::uint16_t port) {
  Fd socket;
  try {
    socket = tcp::connect(port);
  } catch (...) {
    Future<IOStream> failed;
    failed.set_exception(std::current_exception());
    return failed;
  }
  IOStream stream(std::move(socket));
  return stream.stream_->connect();
}

}  // namespace cmbench::futures
