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
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "epoll_accept.hpp"
#include "models/core/http.hpp"
#include "models/core/span.hpp"
#include "models/core/tcp.hpp"
#include "references.hpp"

namespace cmbench::http_server {
namespace {

// One client. Invariant: while `out` holds bytes the socket has not taken, the connection
// watches EPOLLOUT and is not read (a client that does not read cannot make `out` grow);
// while its request's backend wait runs (`wait == running`) it is not read either.
struct Connection {
  enum class Wait { none, running, over };
  Connection(Fd fd, std::uint32_t id, std::int64_t now) : fd(std::move(fd)), id(id), last_ns(now) {}
  // Events and backend waits name a connection by key(): its descriptor and its serial
  // number, so that one meant for a closed connection is never applied to a later one that
  // got the same descriptor.
  std::uint64_t key() const { return std::uint64_t{id} << 32 | std::uint32_t(fd.get()); }
  Fd fd;
  std::uint32_t id;      // 1, 2, ...; 0 for the loop's own descriptors
  std::int64_t last_ns;  // opened, or completed its last request
  http::RequestReader reader;
  std::string out;
  Wait wait = Wait::none;
  bool keep_alive = true;  // of the request that waits
  bool closing = false;    // close once `out` is sent
  std::uint32_t events = EPOLLIN;
};

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

class Loop {
 public:
  explicit Loop(const Config& config)
      : config_(config),
        epoll_(::epoll_create1(EPOLL_CLOEXEC)),
        wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
        timer_(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)),
        listener_(tcp::listen(0)) {
    if (!epoll_ || !wake_ || !timer_) fail("epoll_create1/eventfd/timerfd_create");
    for (int fd : {wake_.get(), timer_.get(), listener_.get()})
      watch(EPOLL_CTL_ADD, fd, EPOLLIN, std::uint32_t(fd));
  }
  std::uint16_t port() const { return tcp::local_port(listener_.get()); }
  // From any thread: the loop stops listening and returns once its connections are gone.
  void stop() { ::eventfd_write(wake_.get(), 1); }
  void run();

 private:
  void watch(int op, int fd, std::uint32_t events, std::uint64_t key) {
    epoll_event e{events, {.u64 = key}};
    if (::epoll_ctl(epoll_.get(), op, fd, &e) < 0) fail("epoll_ctl");
  }
  void accept_all();
  void on_event(std::uint64_t key, std::uint32_t events);
  Connection* find(std::uint64_t key) {
    const auto fd = std::uint32_t(key);
    Connection* c = fd < conns_.size() ? conns_[fd].get() : nullptr;
    return c && c->key() == key ? c : nullptr;
  }
  void serve(Connection& c);
  void send(Connection& c, std::string_view last);
  void fire_waits();
  void arm(std::int64_t at_ns) {  // the timerfd, for the oldest wait (at once if it is due)
    itimerspec at{{}, {time_t(at_ns / 1'000'000'000), long(at_ns % 1'000'000'000)}};
    ::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &at, nullptr);
  }
  void sweep();
  void close(Connection& c) {
    conns_[c.fd.get()].reset();  // closing the descriptor takes it out of the epoll set
    --live_;
  }

  const Config config_;
  const std::int64_t idle_ns_ = std::int64_t{config_.idle_timeout.count()} * 1'000'000;
  Fd epoll_, wake_, timer_, listener_;
  std::vector<std::unique_ptr<Connection>> conns_;  // by descriptor
  struct Due {
    std::int64_t at_ns;
    std::uint64_t key;
  };
  std::deque<Due> waits_;  // backend waits, oldest first
  std::int64_t now_ = monotonic_ns(), next_sweep_ = now_ + idle_ns_ / 2, accept_at_ = 0;
  std::uint32_t next_id_ = 1;
  int live_ = 0;
  bool stopping_ = false;
};

void Loop::run() {
  epoll_event events[256];
  while (!stopping_ || live_ > 0) {
    std::int64_t until = std::min(next_sweep_, accept_at_ ? accept_at_ : next_sweep_);
    int ms = int(std::max<std::int64_t>(0, (until - now_) / 1'000'000 + 1));
    int n = ::epoll_wait(epoll_.get(), events, 256, ms);
    if (n < 0 && errno != EINTR) fail("epoll_wait");
    now_ = monotonic_ns();
    for (int i = 0; i < n; ++i) on_event(events[i].data.u64, events[i].events);
    if (now_ >= next_sweep_) sweep();
    if (accept_at_ && now_ >= accept_at_ && listener_) {  // accept failed: try again
      watch(EPOLL_CTL_ADD, listener_.get(), EPOLLIN, std::uint32_t(listener_.get()));
      accept_at_ = 0;
    }
  }
}

void Loop::on_event(std::uint64_t key, std::uint32_t events) {
  if (key == std::uint32_t(listener_.get())) return accept_all();
  if (key == std::uint32_t(timer_.get())) return fire_waits();
  if (key == std::uint32_t(wake_.get())) {
    listener_.reset();
    accept_at_ = 0;
    stopping_ = true;
    return;
  }
  Connection* c = find(key);
  if (!c) return;                                        // closed earlier in this batch
  if (events & (EPOLLERR | EPOLLHUP)) return close(*c);  // reset: nobody to answer
  if (events & EPOLLOUT) return send(*c, {});
  std::span<char> room = c->reader.buffer();
  std::optional<std::size_t> got;
  try {
    got = tcp::read(c->fd.get(), std::as_writable_bytes(room));
  } catch (const std::system_error&) {
    return close(*c);
  }
  if (!got) return;
  if (*got == 0) return close(*c);
  c->reader.commit(*got);
  serve(*c);
}

void Loop::accept_all() {
  auto make = [this](Fd fd) {
    return std::make_unique<Connection>(std::move(fd), next_id_++, now_);
  };
  if (!accept_waiting(listener_.get(), epoll_.get(), conns_, live_, make, "http_server epoll"))
    accept_at_ = now_ + 10'000'000;  // out of descriptors, say: listen again in 10 ms
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
