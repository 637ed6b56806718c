// The loop the hand-written epoll floors (http_server's and echo's) share: one thread, one
// epoll set, level-triggered, non-blocking sockets and nothing else. The skeleton listens,
// accepts, waits in epoll_wait, keeps the connections by descriptor and closes them; each
// floor supplies only what it does with bytes. A floor is a class deriving from
// EpollFloor<Floor, Connection> (the derived class named first, so that its hooks are
// called directly, with no virtual call on the hot path) that defines:
//
//   std::unique_ptr<Connection> make(Fd fd, std::uint32_t id)   a new connection
//   void on_readable(Connection&)                                 bytes (or end) arrived
//   void on_writable(Connection&)                                 room to send (EPOLLOUT)
//
// and, if it has its own descriptors or timers (registered with watch_own):
//
//   void on_own(int fd)               one of them is readable
//   std::int64_t deadline() const     when after_events() wants to run (0: no deadline)
//   void after_events()               after every batch of events, at the loop's clock now_
//
// Guarantees: events name a connection by key(), its descriptor and its serial number, so
// that an event meant for a connection closed earlier in the same batch never reaches a
// newer one that got the same descriptor. stop() (from any thread) closes the listener at
// once; run() returns once every connection is closed. A failed accept (out of descriptors,
// say) is reported on stderr and the listener leaves the epoll set for 10 ms, so a resource
// limit slows the floor down and never makes it spin; a connection the epoll set refuses
// (out of kernel memory) is reported and dropped. The loop's clock, now_, is read once per
// wake-up.
// Cost: one accept4 and one epoll_ctl per connection; per wake-up one epoll_wait and one
// clock read; per event a table lookup.
// Thread-safety: run() and every hook on one thread; stop() and port() from any.
#pragma once

#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "models/core/accept_pause.hpp"
#include "models/core/fd.hpp"
#include "models/core/span.hpp"
#include "models/core/tcp.hpp"

namespace cmbench::peers {

// What every floor's connection has; a floor's own Connection derives from it.
struct EpollConnection {
  EpollConnection(Fd fd, std::uint32_t id) : fd(std::move(fd)), id(id) {}
  std::uint64_t key() const { return std::uint64_t{id} << 32 | std::uint32_t(fd.get()); }
  Fd fd;
  std::uint32_t id;  // 1, 2, ...; 0 for the loop's own descriptors
  std::string out;   // what the socket has not taken yet
};

template <class Floor, class Connection>
class EpollFloor {
 public:
  std::uint16_t port() const { return tcp::local_port(listener_.get()); }
  // From any thread: the loop stops listening and returns once its connections are gone.
  void stop() { ::eventfd_write(wake_.get(), 1); }

  void run() {
    epoll_event events[256];
    while (!stopping_ || live_ > 0) {
      std::int64_t until = floor().deadline();
      if (accept_at_) until = until ? std::min(until, accept_at_) : accept_at_;
      int ms = until ? int(std::max<std::int64_t>(0, (until - now_) / 1'000'000 + 1)) : -1;
      int n = ::epoll_wait(epoll_.get(), events, 256, ms);
      if (n < 0 && errno != EINTR) fail("epoll_wait");
      now_ = monotonic_ns();
      for (int i = 0; i < n; ++i) on_event(events[i].data.u64, events[i].events);
      floor().after_events();
      if (accept_at_ && now_ >= accept_at_ && listener_) {  // accept failed: try again
        watch_own(listener_.get());
        accept_at_ = 0;
      }
    }
  }

 protected:
  // Listens on 127.0.0.1 (an ephemeral port); `who` names the floor in its messages.
  explicit EpollFloor(const char* who)
      : who_(who),
        epoll_(::epoll_create1(EPOLL_CLOEXEC)),
        wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
        listener_(tcp::listen(0)) {
    if (!epoll_ || !wake_) fail("epoll_create1/eventfd");
    watch_own(wake_.get());
    watch_own(listener_.get());
  }

  [[noreturn]] static void fail(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
  }
  void watch(int op, int fd, std::uint32_t events, std::uint64_t key) {
    epoll_event e{events, {.u64 = key}};
    if (::epoll_ctl(epoll_.get(), op, fd, &e) < 0) fail("epoll_ctl");
  }
  // One of the floor's own descriptors (a timerfd, say): reported to on_own when readable.
  void watch_own(int fd) { watch(EPOLL_CTL_ADD, fd, EPOLLIN, std::uint32_t(fd)); }
  Connection* find(std::uint64_t key) {
    const auto fd = std::uint32_t(key);
    Connection* c = fd < conns_.size() ? conns_[fd].get() : nullptr;
    return c && c->key() == key ? c : nullptr;
  }
  void close(Connection& c) {
    conns_[c.fd.get()].reset();  // closing the descriptor takes it out of the epoll set
    --live_;
  }

  // The hooks a floor without descriptors or timers of its own does not define.
  void on_own(int) {}
  std::int64_t deadline() const { return 0; }
  void after_events() {}

  std::vector<std::unique_ptr<Connection>> conns_;  // by descriptor
  std::int64_t now_ = monotonic_ns();               // the loop's clock, read once per wake-up

 private:
  Floor& floor() { return static_cast<Floor&>(*this); }

  void on_event(std::uint64_t key, std::uint32_t events) {
    if (key == std::uint32_t(listener_.get())) return accept_all();
    if (key == std::uint32_t(wake_.get())) {
      listener_.reset();
      accept_at_ = 0;
      stopping_ = true;
      return;
    }
    if (key >> 32 == 0) return floor().on_own(int(key));
    Connection* c = find(key);
    if (!c) return;                                        // closed earlier in this batch
    if (events & (EPOLLERR | EPOLLHUP)) return close(*c);  // reset: nobody to answer
    if (events & EPOLLOUT) return floor().on_writable(*c);
    floor().on_readable(*c);
  }

  // Accepts every waiting connection and watches it for EPOLLIN.
  void accept_all() {
    for (;;) {
      Fd fd;
      try {
        fd = tcp::accept(listener_.get());
      } catch (const std::system_error& e) {
        // Out of descriptors, say: the listener stays readable. Pause (accept_pause.hpp).
        if (const std::string line = pauses_.pausing(e.code().message()); !line.empty())
          std::fprintf(stderr, "%s\n", line.c_str());
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listener_.get(), nullptr);
        accept_at_ = now_ + std::chrono::nanoseconds(accept_pause).count();
        return;
      }
      if (!fd) return;
      const int n = fd.get();
      if (std::size_t(n) >= conns_.size()) conns_.resize(n + 1);
      std::unique_ptr<Connection> c = floor().make(std::move(fd), next_id_++);
      epoll_event e{};
      e.events = EPOLLIN;
      e.data.u64 = c->key();
      if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, n, &e) < 0) {
        std::fprintf(stderr, "%s: epoll_ctl: %s\n", who_, std::strerror(errno));
        continue;
      }
      conns_[n] = std::move(c);
      ++live_;
    }
  }

  const char* who_;
  AcceptPauses pauses_{who_};
  Fd epoll_, wake_, listener_;
  std::int64_t accept_at_ = 0;  // after a failed accept: when to listen again
  std::uint32_t next_id_ = 1;
  int live_ = 0;
  bool stopping_ = false;
};

}  // namespace cmbench::peers
