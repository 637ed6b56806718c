// concurrent.futures.Future: the result of one call handed to an executor, to be waited for
// from any thread. A Future is a handle: copies share one state, as Python's references to
// one Future object do.
//
// Guarantees: result() and exception() block until the call finished or was cancelled; the
// value or exception is set once and never changes; every done callback runs exactly once,
// after the state is final. Not guaranteed: which thread runs a done callback (the worker
// that finished the call, the thread that cancelled it, or the one that adds the callback to
// a future already done). Cost: one heap allocation per call, a mutex and a condition
// variable per state. Thread-safe: every member may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace cmbench::threads {

// What result() throws for a call that was cancelled before it started.
class CancelledError : public std::runtime_error {
 public:
  CancelledError() : std::runtime_error("the call was cancelled before it started") {}
};

namespace detail {

// The state every Future shares, whatever its value type. Invariant: `status` only moves
// forward, pending -> running -> finished or pending -> cancelled; `error` is written once,
// before `status` becomes finished; `callbacks` is emptied when the state becomes final.
class FutureState {
 public:
  enum class Status { pending, running, finished, cancelled };

  // Called by a worker before it runs the call: false when the call was cancelled while it
  // waited in the queue (Python's set_running_or_notify_cancel).
  bool set_running_or_notify_cancel() {
    std::lock_guard lock(mutex_);
    if (status_ == Status::cancelled) return false;
    status_ = Status::running;
    return true;
  }

  // Only a call that has not started can be cancelled; true if it is cancelled now.
  bool cancel() {
    {
      std::lock_guard lock(mutex_);
      if (status_ == Status::cancelled) return true;
      if (status_ != Status::pending) return false;
      status_ = Status::cancelled;
    }
    finish();
    return true;
  }

  void set_exception(std::exception_ptr error) {
    {
      std::lock_guard lock(mutex_);
      error_ = std::move(error);
      status_ = Status::finished;
    }
    finish();
  }

  Status status() const {
    std::lock_guard lock(mutex_);
    return status_;
  }

  // Blocks until the state is final; throws CancelledError for a cancelled call.
  std::exception_ptr wait() const {
    std::unique_lock lock(mutex_);
    final_.wait(lock, [&] { return is_final(); });
    if (status_ == Status::cancelled) throw CancelledError();
    return error_;
  }

  // Runs `callback` once the state is final: now, on this thread, if it already is.
  void add_done_callback(std::function<void()> callback) {
    {
      std::lock_guard lock(mutex_);
      if (!is_final()) {
        callbacks_.push_back(std::move(callback));
        return;
      }
    }
    run(callback);
  }

 protected:
  // Marks the state final: wakes the waiters, then runs the callbacks outside the lock, so
  // that a callback may use the future (or cancel others) without deadlocking.
  void finish() {
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard lock(mutex_);
      if (status_ == Status::running || status_ == Status::pending) status_ = Status::finished;
      callbacks.swap(callbacks_);
    }
    final_.notify_all();
    for (auto& callback : callbacks) run(callback);
  }

  mutable std::mutex mutex_;

 private:
  bool is_final() const { return status_ == Status::finished || status_ == Status::cancelled; }

  // A failing callback is reported and ignored, as concurrent.futures logs it: it must not
  // take the worker thread (and with it the executor) down.
  static void run(const std::function<void()>& callback) {
    try {
      callback();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "exception calling callback for future: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "exception calling callback for future\n");
    }
  }

  Status status_ = Status::pending;
  std::exception_ptr error_;
  std::vector<std::function<void()>> callbacks_;
  mutable std::condition_variable final_;
};

// The state of a call returning T: the value beside the status.
template <class T>
class ValueState : public FutureState {
 public:
  void set_result(T value) {
    {
      std::lock_guard lock(mutex_);
      value_.emplace(std::move(value));
    }
    finish();
  }
  // Valid once wait() returned without an exception; never written again after that.
  const T& value() const { return *value_; }

 private:
  std::optional<T> value_;
};

template <>
class ValueState<void> : public FutureState {
 public:
  void set_result() { finish(); }
};

}  // namespace detail

template <class T>
class Future {
 public:
  explicit Future(std::shared_ptr<detail::ValueState<T>> state) : state_(std::move(state)) {}

  // Waits for the call, then returns its value or rethrows its exception (CancelledError if
  // it was cancelled). The reference lives as long as any copy of this Future.
  decltype(auto) result() const {
    if (auto error = state_->wait()) std::rethrow_exception(error);
    if constexpr (!std::is_void_v<T>) return state_->value();
  }
  // Waits for the call; its exception, or null if it returned.
  std::exception_ptr exception() const { return state_->wait(); }

  bool cancel() { return state_->cancel(); }
  bool cancelled() const { return status() == Status::cancelled; }
  bool running() const { return status() == Status::running; }
  bool done() const { return status() == Status::finished || cancelled(); }

  // Calls callback(future) once the call finished or was cancelled (see the header for
  // which thread runs it). The callback holds the state weakly, so a future that never
  // completes does not keep itself alive through its own callback.
  void add_done_callback(std::function<void(Future)> callback) {
    state_->add_done_callback([callback = std::move(callback), weak = std::weak_ptr(state_)] {
      if (auto state = weak.lock()) callback(Future(std::move(state)));
    });
  }

 private:
  using Status = detail::FutureState::Status;
  Status status() const { return state_->status(); }

  std::shared_ptr<detail::ValueState<T>> state_;
};

}  // namespace cmbench::threads
