// http_server, epoll: the floor. One thread, one epoll set, no framework: what every event
// loop of the suite is built on, with nothing of its own on top.
//
// Level-triggered, on purpose: a readable socket is read once per wake-up and epoll reports
// it again if bytes are left, so no read() is spent finding EAGAIN (edge-triggered needs one
// per wake-up, or a guess that a short read drained the socket). Interest changes only when
// a connection cannot take more: EPOLLOUT while an answer is left over (never, for 38-byte
// answers, unless a client stops reading), nothing while a request waits for its backend.
// An answer goes out straight from the prebuilt response; pipelined answers are gathered.
//
// Timers cost nothing per request. The idle timeout is a sweep of the connection table every
// half timeout (a connection is closed 1 to 1.5 timeouts after its last request; a request
// only stores the loop's clock, read once per wake-up). The slow variant's waits all last
// `backend`, so a FIFO is already in deadline order: one timerfd, armed for the oldest.
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "models/core/http.hpp"
#include "models/core/span.hpp"
#include "models/core/tcp.hpp"
#include "references.hpp"
#include "workloads/peers/epoll_floor.hpp"

namespace cmbench::http_server {
namespace {

// One client. Invariant: while `out` holds bytes the socket has not taken, the connection
// watches EPOLLOUT and is not read (a client that does not read cannot make `out` grow);
// while its request's backend wait runs (`wait == running`) it is not read either.
struct Connection : peers::EpollConnection {
  enum class Wait { none, running, over };
  Connection(Fd fd, std::uint32_t id, std::int64_t now)
      : EpollConnection(std::move(fd), id), last_ns(now) {}
  std::int64_t last_ns;  // opened, or completed its last request
  http::RequestReader reader;
  Wait wait = Wait::none;
  bool keep_alive = true;  // of the request that waits
  bool closing = false;    // close once `out` is sent
  std::uint32_t events = EPOLLIN;
};

// The floor's skeleton (accepting, waiting, closing) is peers::EpollFloor's; what is
// http_server's own: parsing and answering, the backend waits and the idle sweep. Backend
// waits name a connection by key(), as events do.
class Loop : public peers::EpollFloor<Loop, Connection> {
 public:
  explicit Loop(const Config& config)
      : EpollFloor("http_server epoll"),
        config_(config),
        timer_(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {
    if (!timer_) fail("timerfd_create");
    watch_own(timer_.get());
  }

 private:
  friend EpollFloor;
  std::unique_ptr<Connection> make(Fd fd, std::uint32_t id) {
    return std::make_unique<Connection>(std::move(fd), id, now_);
  }
  void on_readable(Connection& c);
  void on_writable(Connection& c) { send(c, {}); }
  void on_own(int) { fire_waits(); }  // the timerfd: the only descriptor of its own
  std::int64_t deadline() const { return next_sweep_; }
  void after_events() {
    if (now_ >= next_sweep_) sweep();
  }

  void serve(Connection& c);
  void send(Connection& c, std::string_view last);
  void fire_waits();
  void arm(std::int64_t at_ns) {  // the timerfd, for the oldest wait (at once if it is due)
    itimerspec at{{}, {time_t(at_ns / 1'000'000'000), long(at_ns % 1'000'000'000)}};
    ::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &at, nullptr);
  }
  void sweep();

  const Config config_;
  const std::int64_t idle_ns_ = std::int64_t{config_.idle_timeout.count()} * 1'000'000;
  Fd timer_;
  struct Due {
    std::int64_t at_ns;
    std::uint64_t key;
  };
  std::deque<Due> waits_;  // backend waits, oldest first
  std::int64_t next_sweep_ = now_ + idle_ns_ / 2;
};

void Loop::on_readable(Connection& c) {
  std::span<char> room = c.reader.buffer();
  std::optional<std::size_t> got;
  try {
    got = tcp::read(c.fd.get(), std::as_writable_bytes(room));
  } catch (const std::system_error&) {
    return close(c);
  }
  if (!got) return;
  if (*got == 0) return close(c);
  c.reader.commit(*got);
  serve(c);
}

// Answers the complete requests the reader holds, in order, until it needs more bytes, the
// connection is to close, or (slow variant) a request must first wait for its backend.
void Loop::serve(Connection& c) {
  std::string_view last;  // the newest answer, not yet copied into `out`
  http::Request r;
  while (!c.closing && c.wait != Connection::Wait::running) {
    if (c.wait == Connection::Wait::over) {
      c.wait = Connection::Wait::none;
    } else {
      http::Status s = c.reader.next(r);
      if (s == http::Status::incomplete) break;
      if (s == http::Status::bad) {
        c.out += last;
        last = http::bad_request_response();
        c.closing = true;
        break;
      }
      c.keep_alive = r.keep_alive;
      if (config_.variant == Variant::slow) {  // what was ready goes out before the wait
        c.wait = Connection::Wait::running;
        waits_.push_back({now_ + config_.backend.count() * 1000, c.key()});
        if (waits_.size() == 1) arm(waits_.front().at_ns);
        break;
      }
    }
    c.out += last;
    last = http::hello_response(c.keep_alive);
    c.last_ns = now_;
    c.closing = !c.keep_alive;
  }
  send(c, last);
}

// Writes `out`, then `last` (straight from its bytes when `out` is empty); keeps what the
// socket did not take, and sets the connection's interest to match.
void Loop::send(Connection& c, std::string_view last) {
  if (!c.out.empty()) {
    c.out += last;
    last = c.out;
  }
  std::size_t sent = 0;
  try {
    if (!last.empty()) sent = tcp::write(c.fd.get(), std::as_bytes(std::span(last))).value_or(0);
  } catch (const std::system_error&) {  // reset by the client
    return close(c);
  }
  if (c.out.empty())
    c.out.assign(last.substr(sent));
  else
    c.out.erase(0, sent);
  if (c.out.empty() && c.closing) return close(c);
  std::uint32_t want = !c.out.empty()                        ? EPOLLOUT
                       : c.wait == Connection::Wait::running ? 0u
                                                             : EPOLLIN;
  if (want == c.events) return;
  c.events = want;
  watch(EPOLL_CTL_MOD, c.fd.get(), want, c.key());
}

void Loop::fire_waits() {
  std::uint64_t expirations;
  [[maybe_unused]] ssize_t n = ::read(timer_.get(), &expirations, sizeof expirations);
  now_ = monotonic_ns();
  while (!waits_.empty() && waits_.front().at_ns <= now_) {
    Due due = waits_.front();
    waits_.pop_front();
    Connection* c = find(due.key);
    if (!c) continue;  // closed (reset) while it waited
    c->wait = Connection::Wait::over;
    serve(*c);  // may start the next pipelined request's wait
  }
  if (!waits_.empty()) arm(waits_.front().at_ns);
}

// Closes every connection that completed no request for the idle timeout (a silent client,
// or a slowloris trickling bytes): O(connections) every half timeout.
void Loop::sweep() {
  for (auto& c : conns_)
    if (c && c->wait != Connection::Wait::running && now_ - c->last_ns > idle_ns_) close(*c);
  next_sweep_ = now_ + idle_ns_ / 2;
}

}  // namespace

void epoll(Control& c) {
  Loop loop(c.config());
  auto serving = c.serving(loop.port(), [&loop] { loop.stop(); });
  loop.run();
}

}  // namespace cmbench::http_server
