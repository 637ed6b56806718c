// The load generator's loop. One thread, one epoll set, one timerfd for everything timed
// (due requests, timeouts, reconnections, the end of the run). Each turn of the loop runs
// its phases in this order (see Generator::run):
//   1. expire the requests (and connection attempts) unanswered for `timeout`;
//   2. reconnect the connections whose 10 ms pause after an error is over;
//   3. open loop: queue every request now due, and send the oldest on idle connections;
//   4. at the end of the measured window, stop: close what is not busy, count the unsent;
//   5. arm the timer for the earliest thing ahead, wait, handle the events.
// Clock: CLOCK_MONOTONIC in nanoseconds, read afresh for every response (a vDSO call,
// ≈ 20 ns), so that a latency is never charged for the events handled before it in a batch.
#include "generator.hpp"

#include <sched.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "models/core/histogram.hpp"
#include "models/core/http.hpp"
#include "models/core/tcp.hpp"

namespace cmbench::load {
namespace {

using ns_t = std::int64_t;
constexpr ns_t never = std::numeric_limits<ns_t>::max();
constexpr ns_t retry_pause = 10'000'000;  // after an error: never a busy loop on a dead server
constexpr std::size_t read_chunk = 4096;  // per read; also each connection's buffer, at least
constexpr int max_connections = 10'000;
constexpr std::size_t max_echo_size = 16 << 20;
constexpr double max_rate = 1e7;  // far above what loopback HTTP reaches; bounds the due queue

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

ns_t now_ns() {
  timespec t;
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return ns_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

ns_t to_ns(std::chrono::milliseconds d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

std::string errno_words(int e) {
  switch (e) {
    case ECONNREFUSED:
      return "connection refused";
    case ECONNRESET:
      return "connection reset";
    case EPIPE:
      return "connection closed by the server (broken pipe)";
    default:
      return std::generic_category().message(e);
  }
}

void validate(const Options& o) {
  auto bad = [](const std::string& why) {
    throw std::invalid_argument("invalid load option: " + why);
  };
  if (o.port == 0) bad("port must be 1..65535");
  if (o.connections < 1 || o.connections > max_connections)
    bad("connections must be 1.." + std::to_string(max_connections));
  if (!(o.rate >= 0 && o.rate <= max_rate))  // also refuses NaN
    bad("rate must be 0 (closed loop) or a positive number up to 1e7 per second");
  if (o.warmup.count() < 0) bad("warmup must not be negative");
  if (o.duration.count() <= 0) bad("duration must be positive");
  if (o.timeout.count() <= 0) bad("timeout must be positive");
  if (o.cpu < -1 || o.cpu >= CPU_SETSIZE) bad("cpu must be -1 (unpinned) or a CPU number");
  if (o.echo_size > max_echo_size)
    bad("echo size must be 0 (HTTP) or 1.." + std::to_string(max_echo_size) + " bytes");
  // The request line carries the target verbatim: it must be an origin-form path.
  if (o.target.empty() || o.target[0] != '/') bad("target must start with '/'");
  for (char c : o.target)
    if (c <= ' ' || c > '~') bad("target must be visible ASCII, without spaces");
}

// The calling thread's scheduling, set for the run and put back afterwards, so that a test
// (or any caller) gets its thread back as it lent it.
class ThreadSettings {
 public:
  explicit ThreadSettings(int cpu) {
    // The timerfd's expiry is exact, but the thread's wake-up from epoll_wait is delayed by
    // up to its timer slack (50 µs by default): too coarse for due times 10 µs apart.
    old_slack_ = ::prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    ::prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    if (cpu < 0) return;
    if (::sched_getaffinity(0, sizeof old_mask_, &old_mask_) < 0) fail("sched_getaffinity");
    cpu_set_t mask;
    CPU_ZERO(&mask);
    CPU_SET(cpu, &mask);
    if (::sched_setaffinity(0, sizeof mask, &mask) < 0) {
      int e = errno;
      restore_slack();
      if (e == EINVAL)
        throw std::invalid_argument("invalid load option: cpu " + std::to_string(cpu) +
                                    " is not available");
      errno = e;
      fail("sched_setaffinity");
    }
    pinned_ = true;
  }
  ~ThreadSettings() {
    restore_slack();
    if (pinned_) ::sched_setaffinity(0, sizeof old_mask_, &old_mask_);
  }
  ThreadSettings(const ThreadSettings&) = delete;
  ThreadSettings& operator=(const ThreadSettings&) = delete;

 private:
  void restore_slack() {
    if (old_slack_ > 0) ::prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(old_slack_), 0, 0, 0);
  }
  int old_slack_ = 0;
  cpu_set_t old_mask_{};
  bool pinned_ = false;
};

// C sockets need C descriptors: raise the soft limit towards the hard one when it is short.
// The generator runs in a process of its own, where this is the only user of descriptors.
void ensure_descriptors(int connections) {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) < 0) fail("getrlimit");
  rlim_t need = static_cast<rlim_t>(connections) + 32;  // + epoll, timer, stdio, a margin
  if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur < need) {
    if (r.rlim_max != RLIM_INFINITY && r.rlim_max < need)
      throw std::system_error(EMFILE, std::generic_category(),
                              "load: more connections than the open-file limit allows");
    r.rlim_cur = need;
    if (::setrlimit(RLIMIT_NOFILE, &r) < 0) fail("setrlimit(RLIMIT_NOFILE)");
  }
}

// One connection to the server. Its life:
//   waiting ──(pause over)──▶ connecting ──(writable, no error)──▶ idle ⇄ busy
// and back to `waiting` on any error (for retry_pause), or straight to `connecting` after a
// clean close (Connection: close, a timeout, a bad response).
// Invariants: `fd` is open iff state != waiting; a request is in flight iff state == busy,
// and then `origin` is its latency origin and a timeout entry carrying `serial` is queued;
// while connecting, such an entry bounds the attempt; while waiting, a retry entry does.
struct Connection {
  enum class State { waiting, connecting, idle, busy };
  State state = State::waiting;
  Fd fd;
  http::ResponseReader reader;
  std::uint32_t generation = 0;  // bumped per socket: tells stale epoll events apart
  std::uint64_t serial = 0;      // bumped per timed step: tells stale queue entries apart
  ns_t origin = 0;               // due time (open loop) or send time (closed loop)
  std::size_t written = 0;       // bytes of the request written so far (busy only)
  std::size_t echoed = 0;        // echo: bytes of the message read back so far (busy only)
  std::size_t offset = 0;        // echo: where the message starts in the pattern
  std::uint32_t messages = 0;    // echo: messages sent on this connection
  bool served = false;           // answered at least once on this socket
  bool in_idle_queue = false;
};

// A deadline for one connection's step; stale once the connection's serial moved on.
struct Deadline {
  ns_t at;
  std::uint32_t index;
  std::uint64_t serial;
};

// Echo messages are slices of one pseudo-random pattern, `pattern_period` bytes longer than
// a message, so that making a message costs nothing per message.
constexpr std::size_t pattern_period = 251;

std::string echo_pattern(std::size_t size) {
  if (size == 0) return {};
  std::string p(size + pattern_period, '\0');
  std::uint64_t x = 0x2545F4914F6CDD1DULL;
  for (char& b : p) {
    x ^= x << 13;  // xorshift64
    x ^= x >> 7;
    x ^= x << 17;
    b = static_cast<char>(x >> 56);
  }
  return p;
}

class Generator {
 public:
  explicit Generator(const Options& o)
      : o_(o),
        request_(http::get_request(o.target)),
        pattern_(echo_pattern(o.echo_size)),
        conns_(static_cast<std::size_t>(o.connections)),
        timeout_(to_ns(o.timeout)),
        period_(o.rate > 0 ? 1e9 / o.rate : 0) {
    epoll_ = Fd(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_) fail("epoll_create1");
    timer_ = Fd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!timer_) fail("timerfd_create");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = timer_tag;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, timer_.get(), &ev) < 0) fail("epoll_ctl(timer)");
  }

  Report run() {
    t0_ = now_ns();
    measure_from_ = t0_ + to_ns(o_.warmup);
    end_ = measure_from_ + to_ns(o_.duration);
    for (std::uint32_t i = 0; i < conns_.size(); ++i) connect(i);
    for (;;) {
      ns_t now = now_ns();
      expire(now);
      if (!stopping_) {
        if (!measuring_ && now >= measure_from_) {
          measuring_ = true;
          if (o_.on_phase) o_.on_phase("measuring");
        }
        retry(now);
        if (open_loop()) {
          generate(std::min(now, end_ - 1));
          dispatch();
        }
        if (now >= end_) stop();
      }
      // Every request in flight was sent before the stop and times out at most `timeout`
      // after it: this loop ends by then.
      if (stopping_ && in_flight_ == 0) break;
      arm(next_wake());
      wait();
    }
    conns_.clear();  // closes every socket
    return report();
  }

 private:
  static constexpr std::uint64_t timer_tag = ~std::uint64_t{0};
  bool open_loop() const { return period_ > 0; }
  ns_t due(std::uint64_t k) const {
    return t0_ + static_cast<ns_t>(static_cast<double>(k) * period_);
  }

  // ---- connections ------------------------------------------------------------------------

  void connect(std::uint32_t i) {
    Connection& c = conns_[i];
    c.fd.reset();
    c.reader = http::ResponseReader();
    c.served = false;
    c.written = 0;
    ++c.generation;
    ++c.serial;
    try {
      c.fd = tcp::connect(o_.port);
    } catch (const std::system_error& e) {  // EADDRNOTAVAIL (no port left), EMFILE, ...
      return error(i, errno_words(e.code().value()));
    }
    epoll_event ev{};
    // Edge-triggered: reads go on until EAGAIN, and a socket is registered once for life.
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = (std::uint64_t{c.generation} << 32) | i;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c.fd.get(), &ev) < 0) fail("epoll_ctl(add)");
    c.state = Connection::State::connecting;
    timeouts_.push_back({now_ns() + timeout_, i, c.serial});
  }

  // Closes the socket; the connection opens again now, after a pause, or (stopping) never.
  void close(std::uint32_t i, ns_t pause) {
    Connection& c = conns_[i];
    if (c.state == Connection::State::busy) --in_flight_;
    c.fd.reset();
    c.state = Connection::State::waiting;
    ++c.serial;
    if (stopping_) return;
    if (pause == 0) return connect(i);
    retries_.push_back({now_ns() + pause, i, c.serial});
  }

  void error(std::uint32_t i, const std::string& words) {
    note(report_.errors, words);
    close(i, retry_pause);
  }
  void bad_response(std::uint32_t i, const std::string& words) {
    note(report_.bad_responses, "bad response: " + words);
    close(i, 0);
  }
  void note(std::uint64_t& counter, const std::string& words) {
    ++counter;
    if (report_.first_error.empty()) report_.first_error = words;
  }

  // The connection has nothing in flight: send on it if a request is due, else keep it.
  void on_idle(std::uint32_t i, ns_t now) {
    Connection& c = conns_[i];
    c.state = Connection::State::idle;
    if (stopping_) return close(i, 0);
    if (!open_loop()) {
      if (now < end_) send(i, now, now);
      return;  // else idle until stop() closes it
    }
    if (sent_ < generated_) return send(i, due(sent_++), now);
    if (!c.in_idle_queue) {
      c.in_idle_queue = true;
      idle_.push_back(i);
    }
  }

  void send(std::uint32_t i, ns_t origin, ns_t now) {
    Connection& c = conns_[i];
    c.state = Connection::State::busy;
    c.origin = origin;
    c.written = 0;
    c.echoed = 0;
    // Each message starts elsewhere in the pattern (101 is prime to its period): an echo of
    // an earlier message, or of another connection's, differs from the one expected.
    c.offset = (i * 37 + std::size_t{c.messages++} * 101) % pattern_period;
    ++c.serial;
    ++in_flight_;
    report_.peak_in_flight = std::max<std::uint64_t>(report_.peak_in_flight, in_flight_);
    timeouts_.push_back({now + timeout_, i, c.serial});
    write(i);
  }

  // Writes what is left of the request; the rest goes when the socket is writable again.
  // The bytes a busy connection sends: the request, or this message.
  std::span<const std::byte> payload(const Connection& c) const {
    if (!echo()) return std::as_bytes(std::span(request_));
    return std::as_bytes(std::span(pattern_)).subspan(c.offset, o_.echo_size);
  }

  void write(std::uint32_t i) {
    Connection& c = conns_[i];
    const std::span<const std::byte> bytes = payload(c);
    while (c.written < bytes.size()) {
      std::optional<std::size_t> n;
      try {
        n = tcp::write(c.fd.get(), bytes.subspan(c.written));
      } catch (const std::system_error& e) {
        return error(i, errno_words(e.code().value()));
      }
      if (!n) return;
      c.written += *n;
    }
  }

  // ---- events -----------------------------------------------------------------------------

  void wait() {
    std::array<epoll_event, 256> events;
    int n = ::epoll_wait(epoll_.get(), events.data(), events.size(), -1);
    if (n < 0) {
      if (errno == EINTR) return;
      fail("epoll_wait");
    }
    for (int k = 0; k < n; ++k) {
      std::uint64_t tag = events[k].data.u64;
      if (tag == timer_tag) {
        std::uint64_t expirations;
        [[maybe_unused]] ssize_t r = ::read(timer_.get(), &expirations, sizeof expirations);
        armed_ = never;
        continue;
      }
      auto i = static_cast<std::uint32_t>(tag);
      auto generation = static_cast<std::uint32_t>(tag >> 32);
      // An event of a socket closed earlier in this batch is stale.
      if (conns_[i].generation != generation || !conns_[i].fd) continue;
      handle(i, generation, events[k].events);
    }
  }

  void handle(std::uint32_t i, std::uint32_t generation, std::uint32_t events) {
    Connection& c = conns_[i];
    if (c.state == Connection::State::connecting) {
      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      if (int e = tcp::connect_error(c.fd.get())) return error(i, errno_words(e));
      ++c.serial;  // connected: the attempt's deadline is void
      on_idle(i, now_ns());
      if (c.generation != generation || !c.fd) return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) {
      read(i);
      if (c.generation != generation || !c.fd) return;
    }
    if ((events & EPOLLOUT) && c.state == Connection::State::busy) write(i);
  }

  // Reads until EAGAIN, checking each complete response as it arrives. A response frees the
  // connection, but the next request goes only once everything read is accounted for: a
  // second response to one request must be caught as unsolicited, not taken for the next.
  void read(std::uint32_t i) {
    if (echo()) return read_echo(i);
    Connection& c = conns_[i];
    std::uint32_t generation = c.generation;
    for (;;) {
      std::span<char> room = c.reader.buffer(read_chunk);
      std::optional<std::size_t> n;
      try {
        n = tcp::read(c.fd.get(), std::as_writable_bytes(room));
      } catch (const std::system_error& e) {
        return error(i, errno_words(e.code().value()));
      }
      if (!n) break;
      if (*n == 0) return end_of_stream(i);
      c.reader.commit(*n);
      take_responses(i);
      if (c.generation != generation || c.state == Connection::State::waiting) return;
    }
    if (c.state != Connection::State::idle) return;
    if (!c.reader.idle()) return bad_response(i, "bytes with no request in flight");
    on_idle(i, now_ns());
  }

  void take_responses(std::uint32_t i) {
    Connection& c = conns_[i];
    http::Response r;
    for (;;) {
      http::Status s = c.reader.next(r);
      if (s == http::Status::incomplete) return;
      if (s == http::Status::bad) return bad_response(i, std::string(c.reader.error()));
      if (c.state != Connection::State::busy)
        return bad_response(i, "a response with no request in flight");
      if (r.status != 200) return bad_response(i, "status " + std::to_string(r.status));
      if (r.body != o_.expect_body)
        return bad_response(i, "a body of " + std::to_string(r.body.size()) +
                                   " bytes, not the expected " +
                                   std::to_string(o_.expect_body.size()));
      answered(i);
      if (!r.keep_alive) return close(i, 0);  // answered, and the server ends the connection
    }
  }

  // Echo: reads until EAGAIN, comparing each byte with the message as it arrives; the
  // message is answered once all of it came back. As with HTTP, the next message goes only
  // once everything read is accounted for: bytes beyond the message are an error.
  void read_echo(std::uint32_t i) {
    Connection& c = conns_[i];
    for (;;) {
      std::optional<std::size_t> n;
      try {
        n = tcp::read(c.fd.get(), std::as_writable_bytes(std::span(scratch_)));
      } catch (const std::system_error& e) {
        return error(i, errno_words(e.code().value()));
      }
      if (!n) break;
      if (*n == 0) return end_of_stream(i);
      if (c.state != Connection::State::busy || c.echoed + *n > o_.echo_size)
        return bad_response(i, "bytes beyond the message sent");
      if (std::memcmp(scratch_.data(), pattern_.data() + c.offset + c.echoed, *n) != 0)
        return bad_response(i, "the echo differs from the message sent, within bytes " +
                                   std::to_string(c.echoed) + " to " +
                                   std::to_string(c.echoed + *n));
      c.echoed += *n;
      if (c.echoed == o_.echo_size) answered(i);
    }
    if (c.state == Connection::State::idle) on_idle(i, now_ns());
  }

  // The connection's request (or message) was answered in full.
  void answered(std::uint32_t i) {
    Connection& c = conns_[i];
    ns_t now = now_ns();
    if (c.origin >= measure_from_) {
      ++report_.ok;
      latency_.record(static_cast<std::uint64_t>(std::max<ns_t>(0, now - c.origin)));
    }
    --in_flight_;
    ++c.serial;  // its timeout is void
    c.state = Connection::State::idle;
    c.served = true;
  }

  void end_of_stream(std::uint32_t i) {
    Connection& c = conns_[i];
    if (c.state == Connection::State::busy && echo())
      return error(i, c.echoed == 0 ? "connection closed with a message in flight"
                                    : "connection closed in the middle of an echo");
    if (c.state == Connection::State::busy)
      return error(i, c.reader.idle() ? "connection closed with a request in flight"
                                      : "connection closed in the middle of a response");
    if (!c.reader.idle()) return bad_response(i, "bytes with no request in flight");
    // A server may close an idle keep-alive connection: no error. But one that closes every
    // connection before answering anything is not to be reconnected to in a tight loop.
    close(i, c.served ? 0 : retry_pause);
  }

  // ---- time -------------------------------------------------------------------------------

  bool stale(const Deadline& d) const { return conns_[d.index].serial != d.serial; }

  void expire(ns_t now) {
    while (!timeouts_.empty() && (stale(timeouts_.front()) || timeouts_.front().at <= now)) {
      Deadline d = timeouts_.front();
      timeouts_.pop_front();
      if (stale(d)) continue;
      if (conns_[d.index].state == Connection::State::connecting) {
        error(d.index, "connection attempt timed out");
      } else if (conns_[d.index].state == Connection::State::busy) {
        note(report_.timeouts,
             "timeout: no response within " + std::to_string(o_.timeout.count()) + " ms");
        close(d.index, 0);
      }
    }
  }

  void retry(ns_t now) {
    while (!retries_.empty() && (stale(retries_.front()) || retries_.front().at <= now)) {
      Deadline d = retries_.front();
      retries_.pop_front();
      if (!stale(d)) connect(d.index);
    }
  }

  // Queues every request due by `until` (the queue is the range [sent_, generated_) of due
  // times, so it costs no memory).
  void generate(ns_t until) {
    while (due(generated_) <= until) ++generated_;
  }

  void dispatch() {
    while (sent_ < generated_ && !idle_.empty()) {
      std::uint32_t i = idle_.front();
      idle_.pop_front();
      conns_[i].in_idle_queue = false;
      if (conns_[i].state == Connection::State::idle) send(i, due(sent_++), now_ns());
    }
  }

  void stop() {
    stopping_ = true;
    if (o_.on_phase) o_.on_phase("done");
    if (open_loop()) report_.unsent = generated_ - sent_;
    for (std::uint32_t i = 0; i < conns_.size(); ++i)
      if (conns_[i].state != Connection::State::busy) close(i, 0);
    idle_.clear();
    retries_.clear();
  }

  ns_t next_wake() {
    ns_t next = never;
    while (!timeouts_.empty() && stale(timeouts_.front())) timeouts_.pop_front();
    if (!timeouts_.empty()) next = timeouts_.front().at;
    if (!stopping_) {
      while (!retries_.empty() && stale(retries_.front())) retries_.pop_front();
      if (!retries_.empty()) next = std::min(next, retries_.front().at);
      if (open_loop()) next = std::min(next, due(generated_));
      next = std::min(next, measuring_ ? end_ : measure_from_);
    }
    return next;
  }

  // Re-arms only for an earlier time: a later one would cost a system call per response
  // (each answer moves the oldest timeout on), and an early wake-up costs one loop turn.
  void arm(ns_t at) {
    if (at >= armed_) return;
    itimerspec spec{};
    spec.it_value.tv_sec = at / 1'000'000'000;
    spec.it_value.tv_nsec = at % 1'000'000'000;
    if (::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) < 0)
      fail("timerfd_settime");
    armed_ = at;
  }

  Report report() {
    Report& r = report_;
    r.seconds = std::chrono::duration<double>(o_.duration).count();
    r.requests_per_second = static_cast<double>(r.ok) / r.seconds;
    auto us = [&](double q) { return static_cast<double>(latency_.percentile(q)) / 1e3; };
    r.p50_us = us(0.5);
    r.p90_us = us(0.9);
    r.p99_us = us(0.99);
    r.p999_us = us(0.999);
    r.max_us = static_cast<double>(latency_.max()) / 1e3;
    return r;
  }

  bool echo() const { return o_.echo_size > 0; }

  const Options& o_;
  const std::string request_;
  const std::string pattern_;  // echo: every message is a slice of it
  std::vector<char> scratch_ = std::vector<char>(64 * 1024);  // echo: what one read() takes
  std::vector<Connection> conns_;
  Fd epoll_, timer_;
  ns_t timeout_;
  double period_;  // ns between due times; 0: closed loop
  ns_t t0_ = 0, measure_from_ = 0, end_ = 0;
  bool measuring_ = false;  // the warm-up is over (on_phase was told)
  ns_t armed_ = never;      // when the timer will fire; `never` once it has
  bool stopping_ = false;
  std::size_t in_flight_ = 0;
  std::uint64_t generated_ = 0, sent_ = 0;  // due times queued so far, and sent so far
  // Deadlines are pushed with `now + constant`, so each deque stays sorted by time.
  std::deque<Deadline> timeouts_, retries_;
  std::deque<std::uint32_t> idle_;  // open loop: idle connections, first idle first
  LatencyHistogram latency_;
  Report report_;
};

}  // namespace

Report run_load(const Options& options) {
  validate(options);
  ensure_descriptors(options.connections);
  ThreadSettings settings(options.cpu);
  return Generator(options).run();
}

}  // namespace cmbench::load
