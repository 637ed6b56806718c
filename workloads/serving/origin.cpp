// The origin: the process side (serve_origin) and the harness side (Origin).
//
// serve_origin's loop: the listening socket, the stop descriptor, a timerfd and the
// connections share one level-triggered epoll set. A connection reads until its first
// complete request, which is queued with its deadline; it is not read again until it has
// been answered (the clients send one request per connection). Deadlines are queued in
// arrival order and all carry the same delay, so the queue is sorted and its head is the
// only deadline the timerfd needs.
#include "workloads/serving/origin.hpp"

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "models/core/host.hpp"
#include "models/core/http.hpp"
#include "models/core/span.hpp"
#include "models/core/tcp.hpp"
#include "workloads/serving/pages.hpp"
#include "workloads/serving/placement.hpp"

namespace cmbench::serving {
using namespace std::chrono_literals;

namespace {

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

struct Connection {
  Fd fd;
  http::RequestReader reader;
  std::uint64_t serial = 0;  // tells a queued deadline of an earlier socket apart
  bool waiting = false;      // a request is queued: not read until it is answered
  std::string out;           // what is left to write
  std::size_t written = 0;
  bool close_after = false;
};

struct Due {
  std::int64_t at;
  int fd;
  std::uint64_t serial;
  long long index;  // -1: not an /item/ URL (answered 404)
  bool keep_alive;
};

class Server {
 public:
  Server(const OriginOptions& o, int stop_fd) : o_(o), delay_ns_(o.delay.count() * 1000) {
    listener_ = tcp::listen(0, 4096);
    epoll_ = Fd(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_) fail("epoll_create1");
    timer_ = Fd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!timer_) fail("timerfd_create");
    watch(listener_.get(), EPOLLIN, EPOLL_CTL_ADD);
    watch(timer_.get(), EPOLLIN, EPOLL_CTL_ADD);
    watch(stop_fd, EPOLLIN, EPOLL_CTL_ADD);
    stop_fd_ = stop_fd;
  }

  std::uint16_t port() const { return tcp::local_port(listener_.get()); }

  void run() {
    std::array<epoll_event, 256> events;
    for (;;) {
      int n = ::epoll_wait(epoll_.get(), events.data(), events.size(), -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail("epoll_wait");
      }
      for (int k = 0; k < n; ++k) {
        int fd = events[k].data.fd;
        if (fd == stop_fd_) return;
        if (fd == listener_.get()) {
          accept_all();
        } else if (fd == timer_.get()) {
          std::uint64_t expirations;
          [[maybe_unused]] ssize_t r = ::read(fd, &expirations, sizeof expirations);
          armed_ = 0;
        } else if (Connection* c = find(fd)) {
          if (c->waiting) {  // watched for the client's leaving only
            if (events[k].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) close(*c);
          } else if (!c->out.empty()) {
            flush(*c);
          } else {
            read(*c);
          }
        }
      }
      answer_due();
    }
  }

 private:
  void watch(int fd, std::uint32_t events, int op) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_.get(), op, fd, &ev) < 0) fail("epoll_ctl");
  }

  Connection* find(int fd) {
    auto i = static_cast<std::size_t>(fd);
    return i < conns_.size() && conns_[i].fd ? &conns_[i] : nullptr;
  }

  void accept_all() {
    for (int k = 0; k < 256; ++k) {  // then let the loop turn: level-triggered calls again
      Fd fd;
      try {
        fd = tcp::accept(listener_.get());
      } catch (const std::system_error& e) {
        // Out of descriptors, say: the connection waits in the listen queue. Said once, and
        // the loop pauses 1 ms so that the level-triggered listener cannot make it spin;
        // answers due meanwhile go out that much later, which only a failing cell sees.
        if (!told_) std::fprintf(stderr, "cmbench-origin: accept failed: %s\n", e.what());
        told_ = true;
        ::usleep(1000);
        return;
      }
      if (!fd) return;
      auto i = static_cast<std::size_t>(fd.get());
      if (i >= conns_.size()) conns_.resize(i + 1);
      Connection& c = conns_[i];
      c = Connection{};
      c.serial = ++serial_;
      watch(fd.get(), EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD);
      c.fd = std::move(fd);
    }
  }

  void close(Connection& c) {
    c.fd.reset();  // leaves the epoll set with it
    c.out.clear();
  }

  void read(Connection& c) {
    for (;;) {
      std::span<char> room = c.reader.buffer(4096);
      std::optional<std::size_t> n;
      try {
        n = tcp::read(c.fd.get(), std::as_writable_bytes(room));
      } catch (const std::system_error&) {
        return close(c);  // a reset: the client is gone
      }
      if (!n) return;
      if (*n == 0) return close(c);
      c.reader.commit(*n);
      http::Request r;
      http::Status s = c.reader.next(r);
      if (s == http::Status::incomplete) continue;
      if (s == http::Status::bad) {
        c.out = http::bad_request_response();
        c.close_after = true;
        return flush(c);
      }
      c.waiting = true;
      watch(c.fd.get(), EPOLLRDHUP, EPOLL_CTL_MOD);  // nothing more until answered
      std::int64_t at = monotonic_ns() + delay_ns_;
      due_.push_back({at, c.fd.get(), c.serial, index_of(r.target), r.keep_alive});
      arm();
      return;
    }
  }

  void arm() {
    if (due_.empty() || armed_ == due_.front().at) return;
    armed_ = due_.front().at;
    itimerspec spec{};
    spec.it_value.tv_sec = armed_ / 1'000'000'000;
    spec.it_value.tv_nsec = armed_ % 1'000'000'000;
    if (::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) < 0)
      fail("timerfd_settime");
  }

  void answer_due() {
    if (due_.empty()) return;
    std::int64_t now = monotonic_ns();
    while (!due_.empty() && due_.front().at <= now) {
      Due d = due_.front();
      due_.pop_front();
      Connection* c = find(d.fd);
      if (!c || c->serial != d.serial) continue;  // the client left meanwhile
      answer(*c, d);
    }
    arm();
  }

  void answer(Connection& c, const Due& d) {
    c.out.clear();
    c.written = 0;
    if (d.index < 0) {
      http::write_response(c.out, 404, "Not Found", "text/plain", "no such item", false);
      c.close_after = true;
    } else {
      http::write_response(c.out, 200, "OK", "application/octet-stream",
                           body(static_cast<std::size_t>(d.index)), d.keep_alive);
      c.close_after = !d.keep_alive;
      if (o_.reset_at && static_cast<std::size_t>(d.index) == *o_.reset_at) {
        c.out.resize(c.out.size() / 2);  // half of it, then a reset
        [[maybe_unused]] auto n = tcp::write(c.fd.get(), std::as_bytes(std::span(c.out)));
        linger hard{1, 0};
        ::setsockopt(c.fd.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        return close(c);
      }
    }
    c.waiting = false;
    flush(c);
  }

  void flush(Connection& c) {
    while (c.written < c.out.size()) {
      std::optional<std::size_t> n;
      try {
        n = tcp::write(c.fd.get(), std::as_bytes(std::span(c.out)).subspan(c.written));
      } catch (const std::system_error&) {
        return close(c);
      }
      if (!n) return watch(c.fd.get(), EPOLLOUT | EPOLLRDHUP, EPOLL_CTL_MOD);
      c.written += *n;
    }
    c.out.clear();
    c.written = 0;
    if (c.close_after) return close(c);
    watch(c.fd.get(), EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);  // the next request, if any
  }

  const OriginOptions o_;
  const std::int64_t delay_ns_;
  Fd listener_, epoll_, timer_;
  int stop_fd_ = -1;
  std::vector<Connection> conns_;  // by descriptor number
  std::deque<Due> due_;            // sorted by `at`: one delay for all, arrival order
  std::int64_t armed_ = 0;
  std::uint64_t serial_ = 0;
  bool told_ = false;
};

std::string origin_executable() {
  if (const char* path = std::getenv("CMBENCH_ORIGIN"); path && *path) return path;
  return CMBENCH_ORIGIN_EXE;
}

}  // namespace

void serve_origin(const OriginOptions& options, int port_out, int stop_fd) {
  ::prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // answers due 1 ms apart must not wait 50 µs
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;  // one descriptor per client connection
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
  Server server(options, stop_fd);
  std::string line = std::to_string(server.port()) + " " + host::server_address_text() + "\n";
  if (::write(port_out, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
    fail("writing the port");
  server.run();
}

std::shared_ptr<const Origin> Origin::start(const OriginOptions& options) {
  std::vector<std::string> args = {origin_executable(), "--delay-us",
                                   std::to_string(options.delay.count())};
  if (kind_of(options.host) == HostKind::address) {  // another machine: it binds that address
    args.push_back("--bind");
    args.push_back(options.host);
  }
  args = on_host(options.host, args);
  if (options.reset_at) {
    args.push_back("--reset-at");
    args.push_back(std::to_string(*options.reset_at));
  }

  std::shared_ptr<Origin> origin(new Origin);
  ChildOptions piped;
  piped.in = Stdio::pipe();   // closed to stop it
  piped.out = Stdio::pipe();  // its port
  piped.err = Stdio::pipe();  // read only if it ends before listening (a line when it fails)
  origin->child_.emplace(args, piped);
  // The port, one line; bounded, so that an origin that cannot start fails the cell.
  std::string line;
  switch (origin->child_->read_line(line, std::chrono::steady_clock::now() + 10s)) {
    case Child::Line::late:
      throw std::runtime_error("the origin server did not say its port within 10 s");
    case Child::Line::end: {
      origin->child_->wait();
      const std::string said = origin->child_->last_words();
      throw std::runtime_error("the origin server ended before listening" +
                               (said.empty() ? " (" + args[0] + ")" : ": " + said));
    }
    case Child::Line::read:
      break;
  }
  const auto space = line.find(' ');
  origin->port_ = static_cast<std::uint16_t>(std::stoi(line.substr(0, space)));
  origin->address_ = host::parse_address(line.substr(space + 1));
  return origin;
}

Origin::~Origin() {
  if (!child_) return;
  child_->close_stdin();     // the origin's signal to end
  child_->wait_or_kill(5s);  // it ends at once on its next turn; a stuck one is killed
  child_->last_words();      // anything it said (a sanitizer's report) goes to the cell's log
}

}  // namespace cmbench::serving
