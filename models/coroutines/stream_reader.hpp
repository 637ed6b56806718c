// StreamReader: the reading half of a TCP connection, read by tasks (asyncio's).
//
//   auto [reader, writer] = co_await open_connection(port);
//   std::string line = co_await reader.readline();
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
// Not guaranteed: a bound on read(-1) or readexactly(n), which buffer what they are asked
// for.
// Cost: each read is a coroutine frame (one allocation, or the frame pool) and a copy; one
// that waits adds an epoll wake-up and a trip through the ready queue.
// Thread-safety: a stream belongs to the thread of the loop it was made on.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "models/coroutines/task.hpp"

namespace cmbench::coroutines {

// asyncio's default limit (2**16): the most readline/readuntil search for a separator.
inline constexpr std::size_t stream_limit = 64 * 1024;

namespace detail {
class Connection;
}  // namespace detail

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

}  // namespace cmbench::coroutines
