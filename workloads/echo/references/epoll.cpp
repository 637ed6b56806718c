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

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>

#include "echo/spec.hpp"
#include "models/core/tcp.hpp"
#include "workloads/peers/epoll_floor.hpp"

namespace cmbench::echo {
namespace {

// One client. Invariant: `out` is empty and the connection watches EPOLLIN, or `out` holds
// what the socket did not take and the connection watches EPOLLOUT only.
struct Connection : peers::EpollConnection {
  using EpollConnection::EpollConnection;
};

// The floor's skeleton (accepting, waiting, closing) is peers::EpollFloor's; what is
// echo's own: one read written straight back, and the rest of a partial write.
class Loop : public peers::EpollFloor<Loop, Connection> {
 public:
  Loop() : EpollFloor("echo epoll"), buffer_(std::make_unique<std::byte[]>(read_size)) {}

 private:
  friend EpollFloor;
  std::unique_ptr<Connection> make(Fd fd, std::uint32_t id) {
    return std::make_unique<Connection>(std::move(fd), id);
  }
  void on_readable(Connection& c);  // one read, written straight back
  void on_writable(Connection& c);  // the rest of a partial write

  std::unique_ptr<std::byte[]> buffer_;  // read_size bytes, for every connection in turn
};

// One read, written straight back; what the socket does not take waits in `out`.
void Loop::on_readable(Connection& c) {
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
void Loop::on_writable(Connection& c) {
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
