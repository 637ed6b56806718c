// gather: runs awaitables concurrently and collects their results in call order, whatever
// order they finish in (asyncio.gather).
//
//   auto [a, b] = co_await gather(fetch(1), fetch(2));            // std::tuple
//   std::vector<int> all = co_await gather(std::move(tasks));    // a vector of Task<int>
//   auto outcomes = co_await gather(return_exceptions, fetch(1), fetch(2));
//
// Each coroutine that is not yet a task becomes one when gather is called, so all of them
// run from then on even if the gather is never awaited (asyncio does the same).
// By default the first exception raised by any of them (in time, not in order) is raised
// by the co_await at once; the others keep running and their results are dropped. With
// `return_exceptions`, nothing is raised: each result is an Outcome holding the value or
// the exception (CancelledError included). Void tasks give std::monostate.
// Cancelling the task that awaits a gather cancels every task in it that has not finished;
// the await then raises CancelledError (with return_exceptions too, as asyncio's does), once
// the first of them has finished (once all have, with return_exceptions). That
// CancelledError is the cancel delivered: the awaiting task's cleanup may await again.
// Each task keeps its result: gather copies it out (moves it, for a move-only type).
// Cost: one DoneWatch per task (one allocation for all) and, for the range form, the vector
// of results; each task costs what create_task costs.
#pragma once

#include <exception>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "models/coroutines/done_set.hpp"
#include "models/coroutines/task.hpp"

namespace cmbench::coroutines {

struct ReturnExceptions {};
inline constexpr ReturnExceptions return_exceptions{};

// What a task gave under return_exceptions: its value, or the exception it raised.
template <class T>
class Outcome {
 public:
  using value_type = std::conditional_t<std::is_void_v<T>, std::monostate, T>;
  explicit Outcome(value_type v) : value_(std::move(v)) {}
  explicit Outcome(std::exception_ptr e) : error_(std::move(e)) {}

  bool ok() const noexcept { return !error_; }
  const std::exception_ptr& exception() const noexcept { return error_; }
  // The value, or the exception rethrown.
  value_type& value() {
    if (error_) std::rethrow_exception(error_);
    return *value_;
  }

 private:
  std::optional<value_type> value_;
  std::exception_ptr error_;
};

namespace detail {

template <class T>
using Gathered = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T>
Task<T> ensure_task(Task<T> t) {
  if (t.core().state() == TaskCore::State::created) return create_task(std::move(t));
  return t;
}

// A finished task's result, for the gather. Copied when T can be copied, so that the task
// keeps it for its other readers (an asyncio task's result can be read any number of times:
// `await gather(t)`, then `await t`); moved out only for a move-only T.
template <class T>
Gathered<T> take_result(Task<T>& t) {
  if constexpr (std::is_void_v<T>) {
    t.result();
    return {};
  } else if constexpr (std::is_copy_constructible_v<T>) {
    return Gathered<T>(t.result());
  } else {
    return Gathered<T>(std::move(t.result()));
  }
}

template <class T>
Outcome<T> take_outcome(Task<T>& t) {
  if (std::exception_ptr e = t.exception()) return Outcome<T>(std::move(e));
  return Outcome<T>(take_result(t));
}

// The awaitable: holds the tasks, and a DoneSet over them. `Collect` builds the result.
template <class Tasks, class Collect>
class [[nodiscard]] Gather {
 public:
  Gather(Tasks tasks, bool return_exceptions, Collect collect)
      : tasks_(std::move(tasks)),
        return_exceptions_(return_exceptions),
        collect_(std::move(collect)),
        set_(return_exceptions ? DoneSet::Until::all : DoneSet::Until::first_error,
             /*cancel_on_withdraw=*/true, /*count_cancel_as_error=*/true) {
    for_each([this](auto& t) { cores_.push_back(&t.core()); });
  }

  bool await_ready() { return set_.start(cores_.data(), cores_.size()); }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) { return set_.suspend(h); }
  auto await_resume() {
    if (set_.withdrawn()) for_each([](auto& t) { t.core().retrieve(); });
    set_.finish();  // raises CancelledError if the gather was cancelled
    if (!return_exceptions_ && set_.first_failed() != DoneSet::none) {
      for_each([](auto& t) { t.core().retrieve(); });
      std::rethrow_exception(cores_[set_.first_failed()]->error());
    }
    return collect_(tasks_);
  }

 private:
  template <class F>
  void for_each(F f) {
    if constexpr (requires { tasks_.begin(); })
      for (auto& t : tasks_) f(t);
    else
      std::apply([&](auto&... t) { (f(t), ...); }, tasks_);
  }

  Tasks tasks_;
  bool return_exceptions_;
  Collect collect_;
  std::vector<TaskCore*> cores_;
  DoneSet set_;
};

template <class Tasks, class Collect>
Gather<Tasks, Collect> make_gather(Tasks tasks, bool return_exceptions, Collect collect) {
  return Gather<Tasks, Collect>(std::move(tasks), return_exceptions, std::move(collect));
}

}  // namespace detail

// The tasks are scheduled in call order, as asyncio's gather does, so their first steps run
// in that order: a braced list is evaluated left to right (a function's arguments are not;
// g++ evaluates them right to left).
template <class... T>
auto gather(Task<T>... tasks) {
  return detail::make_gather(
      std::tuple<Task<T>...>{detail::ensure_task(std::move(tasks))...}, false,
      [](std::tuple<Task<T>...>& ts) {
        return std::apply(
            [](auto&... t) {
              return std::tuple<detail::Gathered<T>...>(detail::take_result(t)...);
            },
            ts);
      });
}

template <class... T>
auto gather(ReturnExceptions, Task<T>... tasks) {
  return detail::make_gather(
      std::tuple<Task<T>...>{detail::ensure_task(std::move(tasks))...}, true,
      [](std::tuple<Task<T>...>& ts) {
        return std::apply(
            [](auto&... t) { return std::tuple<Outcome<T>...>(detail::take_outcome(t)...); }, ts);
      });
}

template <class T>
auto gather(std::vector<Task<T>> tasks) {
  for (auto& t : tasks) t = detail::ensure_task(std::move(t));
  return detail::make_gather(std::move(tasks), false, [](std::vector<Task<T>>& ts) {
    std::vector<detail::Gathered<T>> results;
    results.reserve(ts.size());
    for (auto& t : ts) results.push_back(detail::take_result(t));
    return results;
  });
}

template <class T>
auto gather(ReturnExceptions, std::vector<Task<T>> tasks) {
  for (auto& t : tasks) t = detail::ensure_task(std::move(t));
  return detail::make_gather(std::move(tasks), true, [](std::vector<Task<T>>& ts) {
    std::vector<Outcome<T>> results;
    results.reserve(ts.size());
    for (auto& t : ts) results.push_back(detail::take_outcome(t));
    return results;
  });
}

}  // namespace cmbench::coroutines
