// Non-blocking TCP between a server and its clients, for every event-driven model: on the
// loopback interface, or across a link when the process was placed on a host (host.hpp).
//
// Guarantees: every socket is non-blocking and close-on-exec; listening sockets bind
// host::server_address() only, 127.0.0.1 unless placed (never 0.0.0.0; port 0 picks an
// ephemeral port), and clients connect to it; connected sockets
// have TCP_NODELAY set (a response written in two parts must not wait for the peer's
// delayed ACK: the ≈ 40 ms Nagle stall). Reads and writes return what the kernel took,
// never block, and return "would block" as a value, not an error; other failures throw
// std::system_error with errno. Each call is one system call (≈ 167 ns here, plus the copy).
// Thread-safety: functions are reentrant; an Fd belongs to one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "models/core/fd.hpp"

namespace cmbench::tcp {

// The listen queue every server here asks for, the references' (nginx, asio, libuv) included:
// room for a thousand clients connecting at once (http_server at C = 1 000). nginx's own
// default, 511, drops SYNs past it, and a client then waits a second for its retry.
inline constexpr int default_backlog = 1024;

// A listening socket on the server address:port (0: ephemeral), with SO_REUSEADDR.
Fd listen(std::uint16_t port, int backlog = default_backlog);
// The port a socket is bound to (after listen(0), the one the kernel chose).
std::uint16_t local_port(int fd);
// A connection from the listen queue, or an empty Fd when none is waiting.
Fd accept(int listen_fd);
// Starts connecting to the server address:port. The connection is complete once the socket is
// writable; then connect_error() tells whether it succeeded.
Fd connect(std::uint16_t port);
// 0 once connected, else the errno of the failed connection (ECONNREFUSED, ...).
int connect_error(int fd);

// Bytes read; 0 at end of stream; nullopt when nothing is available now.
// ECONNRESET and other errors throw.
std::optional<std::size_t> read(int fd, std::span<std::byte> into);
// Bytes written (possibly fewer than asked: a partial write); nullopt when the socket's
// buffer is full. EPIPE and ECONNRESET throw (SIGPIPE is never raised: MSG_NOSIGNAL).
std::optional<std::size_t> write(int fd, std::span<const std::byte> from);
// Half-close: no more writes; the peer reads end of stream.
void shutdown_write(int fd);

}  // namespace cmbench::tcp
