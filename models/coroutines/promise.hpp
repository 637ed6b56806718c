// Promise<T>: the promise type of Task<T> (task.hpp), a TaskCore with a slot for the
// result. A frame starts suspended (a coroutine object is lazy), delivers a cancellation that
// came before its first step, keeps what it raised as an exception_ptr, and at its end
// transfers to whoever awaits it. Its frame comes from the frame pool when one is on.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <utility>

#include "models/coroutines/frame_pool.hpp"
#include "models/coroutines/task_core.hpp"

namespace cmbench::coroutines {

template <class T = void>
class Task;

namespace detail {

// The value half of a promise: return_value for a T, return_void for void.
template <class T>
class ResultSlot {
 public:
  template <class U = T>
  void return_value(U&& v) {
    value_.emplace(std::forward<U>(v));
  }
  T& value() noexcept { return *value_; }

 private:
  std::optional<T> value_;
};
template <>
class ResultSlot<void> {
 public:
  void return_void() noexcept {}
  void value() noexcept {}
};

template <class T>
class Promise final : public TaskCore, public ResultSlot<T> {
 public:
  Task<T> get_return_object() noexcept;

  struct Initial {
    Promise* p;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    void await_resume() const { p->start_check(); }
  };
  struct Final {
    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> h) const noexcept {
      return h.promise().at_final_suspend();
    }
    void await_resume() const noexcept {}
  };
  Initial initial_suspend() noexcept { return {this}; }
  Final final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error_ = std::current_exception(); }

  // The result: T& (void for Task<void>), or the exception rethrown.
  decltype(auto) get() {
    retrieve();
    if (error_) std::rethrow_exception(error_);
    return this->value();
  }

  static void* operator new(std::size_t size) { return allocate_frame(size); }
  static void operator delete(void* frame, std::size_t size) noexcept { free_frame(frame, size); }
};

}  // namespace detail
}  // namespace cmbench::coroutines
