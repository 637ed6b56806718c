// http_fetch, epoll: the floor. One thread, one epoll set, non-blocking sockets and nothing
// else: what every event-driven client of the suite is built on, with no framework on top.
// The seven models' clients are read against this one.
//
// A fetch is a socket, a connect that returns EINPROGRESS, and the request sent at once:
// on the loopback the kernel has finished the handshake before connect returns (measured:
// all 2 000 sends of two runs of N = 1 000 went out), and elsewhere the send says EAGAIN
// and the request waits for writability. Then one epoll_ctl(ADD), edge-triggered, that
// stays for the socket's whole life: no MOD, no DEL (close takes the socket out of the
// set). It watches EPOLLIN, and EPOLLOUT only while the request is still to go out, so a
// fetch usually wakes the loop once: when its answer arrives. The socket is read until the
// Page is whole, then closed. Edge-triggered means a read that leaves the page unfinished
// must go on until EAGAIN, but the answer (≤ 1.2 KB) nearly always comes in one segment.
//
// What is left out, and why it is honest: no getsockopt(SO_ERROR) after a connect that
// worked (a failed one makes the send fail, or wakes the loop with EPOLLERR, and only then
// is its errno fetched); no TCP_NODELAY (a client that writes its whole request once on a
// fresh connection has nothing unacknowledged for Nagle to wait on). Per fetch that is
// socket, connect, send, epoll_ctl, read, close, plus a share of the epoll_wait calls; no
// allocation per event (the Page's buffer and the request string, once per fetch).
//
// With M > 0 at most M sockets are open; each finished fetch starts the next URL. Every
// fetch runs to its end, failed or not (the origin answers each within d, or resets it),
// and then the first failure in URL order is thrown, with every socket already closed.
// The span of a fetch runs from just before socket() to the moment its page is whole. A fetch
// still open p.timeout after it began fails: epoll_wait waits no longer than the oldest
// open fetch's deadline (two clock reads per turn of the loop).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <string>
#include <system_error>
#include <vector>

#include "http_fetch/spec.hpp"
#include "models/core/fd.hpp"
#include "models/core/host.hpp"
#include "models/core/span.hpp"

namespace cmbench::http_fetch {
namespace {

// One URL. Invariant: `fd` is open from start() until the fetch ends (page whole, or
// `error` set); a fetch that has ended never opens it again.
struct Fetch {
  explicit Fetch(std::size_t i) : page(i) {}
  Fd fd;
  Page page;
  Span span;
  std::size_t sent = 0;    // bytes of the request the socket has taken
  bool requested = false;  // all of them: what comes next is the response
  std::exception_ptr error;
};

class Client {
 public:
  explicit Client(const Params& p)
      : port_(p.port),
        timeout_(p.timeout),
        timeout_ns_(std::chrono::nanoseconds(p.timeout).count()),
        epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!epoll_) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    fetches_.reserve(p.n);
    for (std::size_t i = 0; i < p.n; ++i) fetches_.emplace_back(i);
  }

  Result run(std::size_t bound);

 private:
  void start(Fetch& f);
  void on_event(Fetch& f, std::uint32_t events);
  void send_request(Fetch& f);
  void read_page(Fetch& f);
  // Ends a fetch: its socket closes (leaving the epoll set), and the next URL may start.
  void finish(Fetch& f) {
    f.fd.reset();
    --open_;
  }
  void fail(Fetch& f, const char* why, int err) {
    fail_with(f, [&] { f.page.fail(std::string(why) + ": " + std::strerror(err)); });
  }
  template <class Explain>
  void fail_with(Fetch& f, Explain explain) {
    try {
      explain();  // throws the FetchError that names the URL
    } catch (...) {
      f.error = std::current_exception();
    }
    finish(f);
  }

  // The oldest fetch still open, or null. Fetches start in URL order, each with the same
  // timeout, so its deadline is the first to come: no timer per fetch.
  Fetch* oldest_open() {
    while (oldest_ < next_ && !fetches_[oldest_].fd) ++oldest_;
    return oldest_ < next_ ? &fetches_[oldest_] : nullptr;
  }
  int ms_to_first_deadline();
  void fail_the_late(std::int64_t now);

  const std::uint16_t port_;
  const std::chrono::milliseconds timeout_;
  const std::int64_t timeout_ns_;
  Fd epoll_;
  std::vector<Fetch> fetches_;  // by URL index; the epoll key of a socket is its index
  std::size_t next_ = 0;        // the next URL to start
  std::size_t open_ = 0;        // sockets open
  std::size_t oldest_ = 0;      // no fetch before it is open
};

int Client::ms_to_first_deadline() {
  const Fetch* f = oldest_open();
  if (!f) return -1;
  const std::int64_t left = f->span.start_ns + timeout_ns_ - monotonic_ns();
  return left <= 0 ? 0 : int((left + 999'999) / 1'000'000);
}

void Client::fail_the_late(std::int64_t now) {
  while (Fetch* f = oldest_open()) {
    if (f->span.start_ns + timeout_ns_ > now) return;
    fail_with(*f, [&] { f->page.fail(serving::timed_out(timeout_)); });
  }
}

void Client::start(Fetch& f) {
  ++open_;
  f.span.start_ns = monotonic_ns();
  f.fd = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!f.fd) return fail(f, "socket", errno);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port_);
  a.sin_addr.s_addr = host::server_address();
  if (::connect(f.fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 && errno != EINPROGRESS)
    return fail(f, "connect", errno);
  send_request(f);
  if (!f.fd) return;  // refused, say
  const std::uint32_t watch = f.requested ? EPOLLIN | EPOLLET : EPOLLIN | EPOLLOUT | EPOLLET;
  epoll_event e{};
  e.events = watch;
  e.data.u64 = f.page.index();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, f.fd.get(), &e) < 0)
    return fail(f, "epoll_ctl", errno);
}

void Client::on_event(Fetch& f, std::uint32_t events) {
  if (!f.requested) {
    if (events & EPOLLERR) {  // the connect failed (refused, say): fetch its errno
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(f.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      return fail(f, "connect", err ? err : ECONNRESET);
    }
    if (!(events & EPOLLOUT)) return;
    send_request(f);
    if (!f.requested) return;  // failed, or the rest waits for the next EPOLLOUT
  }
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) read_page(f);
}

void Client::send_request(Fetch& f) {
  const std::string r = request(f.page.index());
  for (;;) {
    ssize_t n = ::send(f.fd.get(), r.data() + f.sent, r.size() - f.sent, MSG_NOSIGNAL);
    if (n >= 0) {
      f.sent += std::size_t(n);
      if (f.sent == r.size()) {
        f.requested = true;
        return;
      }
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return;
    } else if (errno != EINTR) {
      return fail(f, "send", errno);
    }
  }
}

void Client::read_page(Fetch& f) {
  for (;;) {
    std::span<char> room = f.page.buffer();
    ssize_t n = ::read(f.fd.get(), room.data(), room.size());
    if (n > 0) {
      bool done = false;
      try {
        done = f.page.commit(std::size_t(n));
      } catch (...) {  // a malformed response, or not a 200
        f.error = std::current_exception();
        return finish(f);
      }
      if (!done) continue;  // edge-triggered: read on until EAGAIN
      f.span.end_ns = monotonic_ns();
      return finish(f);
    }
    if (n == 0) return fail_with(f, [&] { f.page.end_of_stream(); });  // ended too soon
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    if (errno != EINTR) return fail(f, "read", errno);  // reset, say
  }
}

Result Client::run(std::size_t bound) {
  const std::size_t n = fetches_.size();
  const std::size_t most_open = bound > 0 && bound < n ? bound : n;
  epoll_event events[256];
  for (;;) {
    // Every URL at once, or with a bound M, one starts as one ends.
    while (next_ < n && open_ < most_open) start(fetches_[next_++]);
    if (open_ == 0) break;
    int k = ::epoll_wait(epoll_.get(), events, 256, ms_to_first_deadline());
    if (k < 0 && errno != EINTR)
      throw std::system_error(errno, std::generic_category(), "epoll_wait");
    for (int j = 0; j < k; ++j) on_event(fetches_[events[j].data.u64], events[j].events);
    fail_the_late(monotonic_ns());
  }

  Result pages;
  pages.reserve(n);
  for (Fetch& f : fetches_) {
    if (f.error) std::rethrow_exception(f.error);  // the first failure in URL order
    pages.push_back(Fetched{f.page.digest(), f.span});
  }
  return pages;
}

}  // namespace

Result epoll(const Params& p) {
  return Client(p).run(p.max_in_flight);
}

}  // namespace cmbench::http_fetch
