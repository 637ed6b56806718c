// IOStream: a connected TCP socket, read and written through futures (tornado.iostream).
//
//   read_until(delimiter) → Future<std::string>: the data up to and including the delimiter
//   read_bytes(n)         → Future<std::string>: exactly n bytes
//   read_bytes(n, true)   → Future<std::string>: as soon as any bytes are there, at most n
//                           (Tornado's partial=True: for a protocol that frames the bytes
//                           itself)
//   write(data)           → Future<void>: resolves once that data (and everything written
//                           before it) has been handed to the kernel
//   close(), closed()
//
// Guarantees:
//  - bytes come out in the order they arrived. One read at a time: a read started while
//    another is pending fails (std::logic_error), as Tornado's "Already reading".
//  - A read that the buffered data can answer is answered at once (its future is done on
//    return), even after the peer has closed; otherwise the socket is read at once too
//    (but not from a continuation of this stream's own socket event: epoll, level-triggered,
//    reports the socket again if bytes are there, and a read that would find none is saved),
//    and then whenever epoll reports it readable.
//  - Writes are queued in order and never block: what the kernel does not take at once (a
//    partial write) is sent when the socket becomes writable again (EPOLLOUT).
//  - When the peer closes (end of stream) or resets the connection, or close() is called,
//    the pending read (once the buffer cannot answer it), the pending writes, and every
//    later read or write fail with StreamClosedError.
//  - While an operation is pending the stream stays alive even if no handle is left (the
//    loop holds it, as Tornado's IOLoop holds a stream's handler); once no handle is left
//    and nothing is pending, its socket is closed. Destroying the loop closes the streams
//    still open on it.
// Not guaranteed: a bound on buffering (Tornado's max_buffer_size): a delimiter that never
// comes is waited for without limit. Thread-safety: the loop thread only.
// Ownership: IOStream is a handle; copies share one stream.
// Cost: a read or write that can go ahead is one system call (≈ 167 ns here) plus copies
// (socket → buffer → result string); one that must wait adds an epoll round trip and an
// epoll_ctl to change the interest (none for a read started, or a write that the socket
// takes, from a continuation of this stream's socket event: the interest is settled once
// the event is handled); each operation is one future (one allocation).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "models/core/fd.hpp"
#include "models/futures/future.hpp"

namespace cmbench::futures {

// A read or write on a stream that is closed (by us, or by the peer), or was reset.
class StreamClosedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
class Stream;
enum class Reading;
}  // namespace detail

class IOStream {
 public:
  // A connected, non-blocking socket (models/core/tcp.hpp makes them), on the current loop.
  explicit IOStream(Fd socket);

  Future<std::string> read_until(std::string delimiter);
  Future<std::string> read_bytes(std::size_t n, bool partial = false);
  Future<void> write(std::string_view data);

  // Closes the socket now: pending operations fail with StreamClosedError.
  void close();
  bool closed() const noexcept;
  int fd() const noexcept;  // -1 once closed

 private:
  friend class detail::Stream;
  friend class TCPClient;
  explicit IOStream(std::shared_ptr<detail::Stream> stream) noexcept;
  static Future<IOStream> connect(std::uint16_t port);

  std::shared_ptr<detail::Stream> stream_;
};

}  // namespace cmbench::futures
