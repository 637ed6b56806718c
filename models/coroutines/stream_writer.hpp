// StreamWriter: the writing half of a TCP connection, written by tasks (asyncio's).
//
//   writer.write("ping\n");
//   co_await writer.drain();                       // backpressure: wait if too much is queued
//   writer.close();
//   co_await writer.wait_closed();
//
// Guarantees:
//  - write() never blocks. Once more than the high-water mark (64 KiB) is buffered, drain()
//    waits until the buffer is down to the low-water mark (16 KiB), as asyncio's does.
//  - A reset peer (ECONNRESET, EPIPE) closes the connection: reads the buffer can no longer
//    answer, write(), drain() and wait_closed() raise ConnectionResetError. write() after
//    close() raises it too (asyncio drops the data silently).
//  - close() stops reading at once (a waiting read sees the end of the stream) and closes
//    the fd once the write buffer is sent; wait_closed() waits for that.
// Not guaranteed: that what was written reaches a peer that stops reading (the connection,
// even with no handle left, waits for it; run() does not).
// Cost: a write with nothing queued is one send(2); epoll_ctl only when a write buffer
// fills or empties.
// Thread-safety: a stream belongs to the thread of the loop it was made on.
#pragma once

#include <coroutine>
#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "models/core/trace.hpp"
#include "models/coroutines/suspension.hpp"

namespace cmbench::coroutines {

namespace detail {
class Connection;
}  // namespace detail

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

}  // namespace cmbench::coroutines
