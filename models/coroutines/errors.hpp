// The exceptions of the coroutines model, named after asyncio's.
//
// CancelledError is deliberately *not* a std::exception, as asyncio's is a BaseException
// and not an Exception since Python 3.8: a handler written `catch (const std::exception&)`
// to deal with a failed operation must not swallow a cancellation by accident. Catch it by
// name (and rethrow it) where cleanup needs to run; RAII runs without any catch at all.
#pragma once

#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace cmbench::coroutines {

// Raised at a task's suspension point when the task is cancelled (Task::cancel).
class CancelledError {
 public:
  const char* what() const noexcept { return "the task was cancelled"; }
};

// wait_for's deadline passed before the awaitable finished.
class TimeoutError : public std::runtime_error {
 public:
  TimeoutError() : std::runtime_error("the operation timed out") {}
};

// An operation on a task in the wrong state: result() of a task that has not finished,
// create_task of a coroutine already started, a task awaiting itself.
class InvalidStateError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// TaskGroup: every exception (but CancelledError) that its tasks raised, in the order they
// were raised.
class ExceptionGroup : public std::runtime_error {
 public:
  explicit ExceptionGroup(std::vector<std::exception_ptr> errors)
      : std::runtime_error(describe(errors)), errors_(std::move(errors)) {}
  const std::vector<std::exception_ptr>& exceptions() const noexcept { return errors_; }

 private:
  static std::string describe(const std::vector<std::exception_ptr>& errors);
  std::vector<std::exception_ptr> errors_;
};

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

// Queue::get_nowait on an empty queue, Queue::put_nowait on a full one.
class QueueEmpty : public std::runtime_error {
 public:
  QueueEmpty() : std::runtime_error("the queue is empty") {}
};
class QueueFull : public std::runtime_error {
 public:
  QueueFull() : std::runtime_error("the queue is full") {}
};

// The message of any exception_ptr, for reports: what() of a std::exception or of a
// CancelledError, or a placeholder.
std::string describe(const std::exception_ptr& error);

}  // namespace cmbench::coroutines
