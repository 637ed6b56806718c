// Streams: TCP connections on 127.0.0.1 read and written by tasks (asyncio's streams API).
//
//   auto [reader, writer] = co_await open_connection(port);
//   writer.write("ping\n");
//   co_await writer.drain();                       // backpressure: wait if too much is queued
//   std::string line = co_await reader.readline();
//   writer.close();
//   co_await writer.wait_closed();
//
//   auto echo = [](StreamReader r, StreamWriter w) -> Task<void> {
//     for (std::string line; !(line = co_await r.readline()).empty();) w.write(line);
//   };
//   Server server = co_await start_server(echo);   // port 0: an ephemeral port
//   co_await server.serve_forever();               // or server.port(), server.close()
//
// On the reactor (as asyncio's selector transport): each connection is one Connection with
// one level-triggered Watcher, shared by its reader and writer halves (counted references).
// While open, it reads whatever arrives into its buffer, pausing once 2 × limit bytes wait
// unread, so a reset is seen even with no read pending; a read the buffer cannot answer
// waits for the watcher to wake it. A write goes to the kernel at once; what it does not take
// waits in the write buffer until the socket is writable again. The fd is closed by close(),
// by a lost connection, or once both halves are gone and nothing waits to be sent.
//
// Guarantees:
//  - Bytes come out in order. A read the buffer can answer does not suspend. One task at a
//    time may wait to read (another raises InvalidStateError); any number may drain.
//  - readline/readuntil search at most `limit` bytes (64 KiB) for the separator, then raise
//    LimitOverrunError. At the end of the stream readline returns the partial line,
//    readexactly/readuntil raise IncompleteReadError holding it, read returns "".
//  - Cancellation: a task cancelled while it waits in a read, drain, wait_closed or
//    open_connection raises CancelledError there; nothing buffered is consumed or lost, and
//    the stream stays usable.
//  - write() never blocks. Once more than the high-water mark (64 KiB) is buffered, drain()
//    waits until the buffer is down to the low-water mark (16 KiB), as asyncio's does.
//  - A reset peer (ECONNRESET, EPIPE) closes the connection: reads the buffer can no longer
//    answer, write(), drain() and wait_closed() raise ConnectionResetError. write() after
//    close() raises it too (asyncio drops the data silently).
//  - close() stops reading at once (a waiting read sees the end of the stream) and closes
//    the fd once the write buffer is sent; wait_closed() waits for that.
//  - The server binds 127.0.0.1 only and runs each connection's handler as a task; what a
//    handler raises is reported to the reactor's error handler. When the handler's task ends
//    its connection closes, unless the handler handed its reader or writer on.
// Not guaranteed: that what was written reaches a peer that stops reading (the connection,
// even with no handle left, waits for it; run() does not); a bound on read(-1) or
// readexactly(n), which buffer what they are asked for.
// Cost: each read is a coroutine frame (one allocation, or the frame pool) and a copy; one
// that waits adds an epoll wake-up and a trip through the ready queue. One readv(2) per
// readable event: into the buffer's free space, the rest into a per-thread 64 KiB scratch
// area, so an idle connection's buffer stays small. A write with nothing queued is one
// send(2). epoll_ctl only when the interest changes: a write buffer fills or empties,
// reading pauses or resumes.
// Thread-safety: a stream or server belongs to the thread of the loop it was made on.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "models/coroutines/suspension.hpp"
#include "models/coroutines/task.hpp"

namespace cmbench::coroutines {

// asyncio's default limit (2**16): the most readline/readuntil search for a separator.
inline constexpr std::size_t stream_limit = 64 * 1024;

// ---- errors (Python's OSError subclasses and asyncio's stream errors) --------------------

// A connection failed: code() is the errno. Python's ConnectionError.
class ConnectionError : public std::system_error {
 public:
  using std::system_error::system_error;
};
// The peer reset the connection (ECONNRESET), it is gone (EPIPE), or this side closed it.
class ConnectionResetError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};
// Nobody listens on the port (ECONNREFUSED).
class ConnectionRefusedError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};

// End of stream came before readexactly(n) had n bytes, or before readuntil found its
// separator. partial() holds what was read (it is no longer in the buffer).
class IncompleteReadError : public std::runtime_error {
 public:
  IncompleteReadError(std::string partial, std::optional<std::size_t> expected);
  const std::string& partial() const noexcept { return partial_; }
  // The size readexactly wanted; empty for readuntil.
  std::optional<std::size_t> expected() const noexcept { return expected_; }

 private:
  std::string partial_;
  std::optional<std::size_t> expected_;
};

// readuntil or readline looked at `limit` bytes without finding the separator.
// consumed() is how many bytes were searched. readuntil leaves the data in the buffer;
// readline drops the over-long line (as asyncio's, which raises ValueError instead).
class LimitOverrunError : public std::runtime_error {
 public:
  LimitOverrunError(const std::string& message, std::size_t consumed)
      : std::runtime_error(message), consumed_(consumed) {}
  std::size_t consumed() const noexcept { return consumed_; }

 private:
  std::size_t consumed_;
};

namespace detail {
class Connection;
class Listener;
}  // namespace detail

// ---- StreamReader ----------------------------------------------------------------------

// The reading half of a connection. A handle: copies share the connection.
// Each read returns a coroutine (asyncio's are coroutines too): await it directly.
class StreamReader {
 public:
  explicit StreamReader(std::shared_ptr<detail::Connection> c) noexcept : c_(std::move(c)) {}

  // Up to n bytes, waiting for at least one; "" at end of stream (or if n is 0).
  // n < 0: everything until end of stream.
  Task<std::string> read(std::ptrdiff_t n = -1);
  // A line, '\n' included; at end of stream the partial last line ("" if none).
  Task<std::string> readline();
  // Exactly n bytes, or IncompleteReadError if the stream ends first.
  Task<std::string> readexactly(std::size_t n);
  // The data up to and including the separator (not empty: std::invalid_argument);
  // IncompleteReadError if the stream ends first.
  Task<std::string> readuntil(std::string separator = "\n");

  // End of stream was received (or the connection closed) and the buffer is empty.
  bool at_eof() const noexcept;
  std::size_t limit() const noexcept;

 private:
  std::shared_ptr<detail::Connection> c_;
};

// ---- StreamWriter ----------------------------------------------------------------------

// The writing half of a connection. A handle: copies share the connection.
class StreamWriter {
 public:
  explicit StreamWriter(std::shared_ptr<detail::Connection> c) noexcept : c_(std::move(c)) {}

  // Sends what the kernel takes now and buffers the rest; never blocks. Raises
  // ConnectionResetError if the connection is closed or lost, InvalidStateError after
  // write_eof().
  void write(std::string_view data);
  // Half-closes: no more writes; the peer reads end of stream once the buffer is sent.
  void write_eof();

  class Drain;
  // Returns at once unless the buffer went above the high-water mark; then waits until it
  // is down to the low-water mark. Raises the error that lost the connection, or
  // ConnectionResetError if it was already closed.
  Drain drain() noexcept;

  // Stops reading and closes the connection once the write buffer is sent.
  void close();
  bool is_closing() const noexcept;
  class WaitClosed;
  // Waits until the fd is closed; raises the error that closed it, if one did.
  WaitClosed wait_closed() noexcept;

  // Bytes written but not yet taken by the kernel (asyncio's transport method).
  std::size_t get_write_buffer_size() const noexcept;
  // asyncio's transport.set_write_buffer_limits; low defaults to high / 4.
  void set_write_buffer_limits(std::size_t high, std::optional<std::size_t> low = {});

  class [[nodiscard]] Drain final : public detail::Suspension, public detail::WaitNode {
   public:
    explicit Drain(std::shared_ptr<detail::Connection> c) noexcept : c_(std::move(c)) {}
    ~Drain();
    bool await_ready() noexcept;
    bool await_suspend(std::coroutine_handle<> h);
    void await_resume() const;
    trace::Wait waits_on() const noexcept override { return trace::Wait::write; }
    bool withdraw() noexcept override;

   private:
    friend class detail::Connection;
    std::shared_ptr<detail::Connection> c_;
    bool closed_ = false;  // the connection was closed before drain() was called
  };

  class [[nodiscard]] WaitClosed final : public detail::Suspension, public detail::WaitNode {
   public:
    explicit WaitClosed(std::shared_ptr<detail::Connection> c) noexcept : c_(std::move(c)) {}
    ~WaitClosed();
    bool await_ready() const noexcept;
    bool await_suspend(std::coroutine_handle<> h);
    void await_resume() const;
    trace::Wait waits_on() const noexcept override { return trace::Wait::read; }
    bool withdraw() noexcept override;

   private:
    friend class detail::Connection;
    std::shared_ptr<detail::Connection> c_;
  };

 private:
  std::shared_ptr<detail::Connection> c_;
};

// ---- connecting and serving ------------------------------------------------------------

// Connects to 127.0.0.1:port. Raises ConnectionRefusedError if nobody listens there.
Task<std::pair<StreamReader, StreamWriter>> open_connection(std::uint16_t port,
                                                            std::size_t limit = stream_limit);
// The same, in asyncio's spelling; host must be "127.0.0.1" (std::invalid_argument if not).
Task<std::pair<StreamReader, StreamWriter>> open_connection(std::string_view host,
                                                            std::uint16_t port,
                                                            std::size_t limit = stream_limit);

// What start_server runs for each connection, as a task of its own (asyncio's
// client_connected_cb). The server keeps it alive while any of its tasks runs, so a lambda's
// captures stay valid even if the Server goes first. Pass a named lambda or variable: g++ 12
// destroys a capturing lambda written inside a co_await expression twice (GCC PR 100611).
using ClientConnected = std::function<Task<void>(StreamReader, StreamWriter)>;

// A listening socket and the connections it accepts (asyncio.Server). Move-only; destroying
// it closes it (stops accepting; connections already accepted go on). It accepts up to 64
// connections per turn of the loop; if accept fails (out of fds, say) it reports the error
// and pauses for 1 s, as asyncio does. While it listens it keeps the loop alive.
class Server {
 public:
  explicit Server(std::shared_ptr<detail::Listener> l) noexcept : l_(std::move(l)) {}
  Server(Server&&) noexcept = default;
  Server& operator=(Server&& o) noexcept;
  ~Server();

  // The port it listens on (the one the kernel chose, after port 0).
  std::uint16_t port() const noexcept;
  bool is_serving() const noexcept;
  // Stops accepting and closes the listening socket; the handlers' tasks go on.
  void close();
  // Returns once the server is closed and every handler task it started has finished.
  Task<void> wait_closed();
  // Returns once close() is called; cancelling the task awaiting it closes the server.
  // InvalidStateError if the server is closed, or another task already serves it forever.
  Task<void> serve_forever();

 private:
  std::shared_ptr<detail::Listener> l_;
};

// Listens on 127.0.0.1:port (0: an ephemeral port; see Server::port()) and accepts
// connections from the next turn of the loop on.
Task<Server> start_server(ClientConnected handler, std::uint16_t port = 0,
                          std::size_t limit = stream_limit);
// The same, in asyncio's spelling; host must be "127.0.0.1" (std::invalid_argument if not).
Task<Server> start_server(ClientConnected handler, std::string_view host, std::uint16_t port,
                          std::size_t limit = stream_limit);

}  // namespace cmbench::coroutines
