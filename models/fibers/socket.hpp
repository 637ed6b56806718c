// The "patched" socket: TCP on the loopback interface whose calls look blocking, as after
// gevent's monkey.patch_all(). Each call first tries the non-blocking system call; if it
// would block, the greenlet parks until the reactor reports the socket ready, and the hub
// runs the others meanwhile. Workload code reads like plain blocking code:
//
//   auto server = fibers::Socket::listen();        // 127.0.0.1, an ephemeral port
//   fibers::Socket conn = server.accept();          // parks until a peer connects
//   std::size_t n = conn.recv(buf);                 // parks until bytes (0: end of stream)
//   conn.sendall(reply);                            // parks while the send buffer is full
//
// Errors raise std::system_error with the errno (ECONNREFUSED, ECONNRESET, EPIPE, ...).
// One greenlet at a time may wait to read and one to write (as in gevent, which raises
// ConcurrentObjectUseError otherwise); close() wakes them with EBADF.
//
// A Socket belongs to its hub's thread and must not outlive fibers::run(). Movable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "models/core/engine.hpp"
#include "models/core/fd.hpp"
#include "models/core/tcp.hpp"
#include "models/fibers/wait.hpp"

namespace cmbench::fibers {

class Hub;

class Socket {
 public:
  Socket() = default;
  Socket(Socket&&) noexcept = default;
  Socket& operator=(Socket&&) noexcept = default;
  ~Socket();

  // A listening socket on 127.0.0.1:port (0: an ephemeral one; see port()).
  static Socket listen(std::uint16_t port = 0, int backlog = tcp::default_backlog);
  // Connects to 127.0.0.1:port, parking until the connection is made or refused.
  static Socket connect(std::uint16_t port);

  // The next connection from the listen queue, parking until there is one.
  Socket accept();
  // Bytes received into `into` (at least one), or 0 at end of stream.
  std::size_t recv(std::span<std::byte> into);
  std::size_t recv(std::span<char> into) { return recv(std::as_writable_bytes(into)); }
  // Bytes sent from `from` (at least one, unless it is empty).
  std::size_t send(std::span<const std::byte> from);
  // Sends all of `from`, parking as often as the peer makes it.
  void sendall(std::span<const std::byte> from);
  void sendall(std::string_view s) { sendall(std::as_bytes(std::span(s.data(), s.size()))); }
  // No more sends: the peer reads end of stream.
  void shutdown_write();
  void close() noexcept;

  bool is_open() const noexcept;
  int fileno() const noexcept;
  std::uint16_t port() const;

 private:
  struct State;
  Socket(Hub& hub, Fd fd);
  // Parks the calling greenlet until the socket is readable (EPOLLIN) or writable.
  void wait(std::uint32_t event);
  State& state() const;

  std::shared_ptr<State> state_;
};

}  // namespace cmbench::fibers
