// wait and wait_for: waiting for tasks with a condition or a deadline.
//
// wait(tasks, when, timeout) (asyncio.wait) suspends until FIRST_COMPLETED (any task has
// finished), FIRST_EXCEPTION (any has raised, CancelledError aside; or all finished) or
// ALL_COMPLETED, or until the timeout; it returns the tasks split into done and pending,
// each in the order given. It raises nothing of the tasks' own and cancels none of them.
//
// wait_for(awaitable, timeout) (asyncio.wait_for) returns the awaitable's result if it
// finishes in time. Otherwise it cancels it, waits until it has finished (its cleanup
// runs), and raises TimeoutError. If the task awaiting wait_for is cancelled, the inner task
// is cancelled too and waited for, and CancelledError is raised.
// Cost: wait_for is a coroutine (one frame) awaiting a DoneSet with a timer; the inner
// coroutine becomes a task (as asyncio's does).
#pragma once

#include <chrono>
#include <optional>
#include <type_traits>
#include <vector>

#include "models/coroutines/done_set.hpp"
#include "models/coroutines/gather.hpp"
#include "models/coroutines/task.hpp"

namespace cmbench::coroutines {

enum class ReturnWhen { FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED };
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::FIRST_COMPLETED;
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::FIRST_EXCEPTION;
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::ALL_COMPLETED;

template <class T>
struct Waited {
  std::vector<Task<T>> done;
  std::vector<Task<T>> pending;
};

namespace detail {

inline DoneSet::Until until_of(ReturnWhen when) noexcept {
  switch (when) {
    case ReturnWhen::FIRST_COMPLETED:
      return DoneSet::Until::first_done;
    case ReturnWhen::FIRST_EXCEPTION:
      return DoneSet::Until::first_error;
    case ReturnWhen::ALL_COMPLETED:
      break;
  }
  return DoneSet::Until::all;
}

template <class T>
class [[nodiscard]] Wait {
 public:
  Wait(std::vector<Task<T>> tasks, ReturnWhen when, std::optional<std::chrono::nanoseconds> timeout)
      : tasks_(std::move(tasks)),
        set_(until_of(when), /*cancel_on_withdraw=*/false, /*count_cancel_as_error=*/false,
             timeout) {
    for (auto& t : tasks_) {
      t = ensure_task(std::move(t));
      cores_.push_back(&t.core());
    }
  }
  bool await_ready() { return set_.start(cores_.data(), cores_.size()); }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) { return set_.suspend(h); }
  Waited<T> await_resume() {
    set_.finish();
    Waited<T> split;
    for (auto& t : tasks_) (t.done() ? split.done : split.pending).push_back(std::move(t));
    return split;
  }

 private:
  std::vector<Task<T>> tasks_;
  std::vector<TaskCore*> cores_;
  DoneSet set_;
};

// Suspends until `task` has finished or `timeout` has passed; true if it finished. Raises
// nothing of the task's own.
inline auto until_done(TaskCore& task, std::optional<std::chrono::nanoseconds> timeout) {
  struct Awaiter {
    TaskCore* task;
    DoneSet set;
    bool await_ready() { return set.start(&task, 1); }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) { return set.suspend(h); }
    bool await_resume() {
      set.finish();
      return task->done();
    }
  };
  return Awaiter{&task, DoneSet(DoneSet::Until::all, false, false, timeout)};
}

}  // namespace detail

template <class T>
detail::Wait<T> wait(std::vector<Task<T>> tasks, ReturnWhen when = ALL_COMPLETED,
                     std::optional<std::chrono::nanoseconds> timeout = std::nullopt) {
  return detail::Wait<T>(std::move(tasks), when, timeout);
}

template <class T>
Task<T> wait_for(Task<T> inner, std::chrono::nanoseconds timeout) {
  inner = detail::ensure_task(std::move(inner));
  bool finished = false;
  bool cancelled = false;
  try {
    finished = co_await detail::until_done(inner.core(), timeout);
  } catch (const CancelledError&) {
    cancelled = true;
  }
  if (!finished) {
    inner.cancel();
    co_await detail::until_done(inner.core(), std::nullopt);  // let its cleanup run
    inner.core().retrieve();
    if (cancelled) throw CancelledError{};
    throw TimeoutError{};
  }
  // Not co_await std::move(inner): the task keeps its result for its other handles (the
  // caller may hold one), so it is copied out, unless T is move-only.
  if constexpr (std::is_void_v<T> || std::is_copy_constructible_v<T>)
    co_return co_await inner;
  else
    co_return co_await std::move(inner);
}

}  // namespace cmbench::coroutines
