// echo, epoll: the floor. One thread, one epoll set, non-blocking sockets and nothing else:
// the least work an honest echo server can do per message, against which the models' echo
// servers are read as a ratio.
//
// Level-triggered: a readable connection is read once per wake-up (at most read_size bytes,
// into one buffer the whole loop shares) and what was read is written straight back from
// that buffer. Only when the socket takes part of it is the rest copied into the
// connection's own `out`; the connection then waits for EPOLLOUT and is not read until `out`
// is sent, so a client that stops reading holds at most one read's worth of bytes here.
// Per message of up to read_size bytes: one epoll_wait share, one read, one write; two
// epoll_ctl only on a partial write.
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "http_server/epoll_accept.hpp"
#include "models/core/span.hpp"
#include "models/core/tcp.hpp"
#include "spec.hpp"

namespace cmbench::echo {
namespace {

// One client. Invariant: `out` is empty and the connection watches EPOLLIN, or `out` holds
// what the socket did not take and the connection watches EPOLLOUT only.
struct Connection {
  Connection(Fd fd, std::uint32_t id) : fd(std::move(fd)), id(id) {}
  // Events name a connection by its descriptor and serial number, so that an event meant
  // for a connection closed earlier in the same batch never reaches a newer one that got
  // the same descriptor.
  std::uint64_t key() const { return std::uint64_t{id} << 32 | std::uint32_t(fd.get()); }
  Fd fd;
  std::uint32_t id;  // 1, 2, ...; 0 for the loop's own descriptors
  std::string out;
};

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

class Loop {
 public:
  Loop()
      : epoll_(::epoll_create1(EPOLL_CLOEXEC)),
        wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
        listener_(tcp::listen(0)),
        buffer_(std::make_unique<std::byte[]>(read_size)) {
    if (!epoll_ || !wake_) fail("epoll_create1/eventfd");
    for (int fd : {wake_.get(), listener_.get()})
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
  void on_event(std::uint64_t key, std::uint32_t events);
  void accept_all();
  void echo(Connection& c);
  void flush(Connection& c);
  void close(Connection& c) {
    conns_[c.fd.get()].reset();  // closing the descriptor takes it out of the epoll set
    --live_;
  }

  Fd epoll_, wake_, listener_;
  std::unique_ptr<std::byte[]> buffer_;             // read_size bytes, for every connection in turn
  std::vector<std::unique_ptr<Connection>> conns_;  // by descriptor
  std::int64_t accept_at_ = 0;                      // after a failed accept: when to listen again
  std::uint32_t next_id_ = 1;
  int live_ = 0;
  bool stopping_ = false;
};

void Loop::run() {
  epoll_event events[256];
  while (!stopping_ || live_ > 0) {
    int ms = accept_at_
                 ? int(std::max<std::int64_t>(0, (accept_at_ - monotonic_ns()) / 1'000'000 + 1))
                 : -1;
    int n = ::epoll_wait(epoll_.get(), events, 256, ms);
    if (n < 0 && errno != EINTR) fail("epoll_wait");
    for (int i = 0; i < n; ++i) on_event(events[i].data.u64, events[i].events);
    if (accept_at_ && monotonic_ns() >= accept_at_ && listener_) {  // accept failed: try again
      watch(EPOLL_CTL_ADD, listener_.get(), EPOLLIN, std::uint32_t(listener_.get()));
      accept_at_ = 0;
    }
  }
}

void Loop::on_event(std::uint64_t key, std::uint32_t events) {
  if (key == std::uint32_t(listener_.get())) return accept_all();
  if (key == std::uint32_t(wake_.get())) {
    listener_.reset();
    accept_at_ = 0;
    stopping_ = true;
    return;
  }
  const auto fd = std::uint32_t(key);
  Connection* c = fd < conns_.size() ? conns_[fd].get() : nullptr;
  if (!c || c->key() != key) return;                     // closed earlier in this batch
  if (events & (EPOLLERR | EPOLLHUP)) return close(*c);  // reset: nobody to answer
  if (events & EPOLLOUT) return flush(*c);
  echo(*c);
}

void Loop::accept_all() {
  auto make = [this](Fd fd) { return std::make_unique<Connection>(std::move(fd), next_id_++); };
  if (!http_server::accept_waiting(listener_.get(), epoll_.get(), conns_, live_, make,
                                   "echo epoll"))
    accept_at_ = monotonic_ns() + 10'000'000;  // out of descriptors, say: listen again in 10 ms
}

// One read, written straight back; what the socket does not take waits in `out`.
void Loop::echo(Connection& c) {
  std::optional<std::size_t> got, sent;
  try {
    got = tcp::read(c.fd.get(), {buffer_.get(), read_size});
    if (!got) return;
    if (*got == 0) return close(c);  // the client closed: everything it sent went back
    sent = tcp::write(c.fd.get(), {buffer_.get(), *got});
  } catch (const std::system_error&) {  // reset by the client
    return close(c);
  }
  const std::size_t taken = sent.value_or(0);
  if (taken == *got) return;
  c.out.assign(reinterpret_cast<const char*>(buffer_.get()) + taken, *got - taken);
  watch(EPOLL_CTL_MOD, c.fd.get(), EPOLLOUT, c.key());
}

// The socket has room again: send more of `out`; once it is all sent, read again.
void Loop::flush(Connection& c) {
  std::optional<std::size_t> sent;
  try {
    sent = tcp::write(c.fd.get(), std::as_bytes(std::span(c.out)));
  } catch (const std::system_error&) {
    return close(c);
  }
  c.out.erase(0, sent.value_or(0));
  if (c.out.empty()) watch(EPOLL_CTL_MOD, c.fd.get(), EPOLLIN, c.key());
}

}  // namespace

void epoll(Control& c) {
  Loop loop;
  auto serving = c.serving(loop.port(), [&loop] { loop.stop(); });
  loop.run();
}

}  // namespace cmbench::echo
