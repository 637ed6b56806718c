// Task<T>: the coroutine type of the coroutines model, and the task that runs it (asyncio's
// coroutine object and asyncio.Task in one handle).
//
//   Task<int> fetch(int i) { co_await sleep(10ms); co_return i; }   // a coroutine function
//
//   int v = co_await fetch(1);             // run it inside the current task (no scheduling)
//   Task<int> t = create_task(fetch(2));   // a task of its own, scheduled at once
//   int w = co_await t;                    // its result, or its exception rethrown
//
// A Task is lazy until it is awaited or handed to create_task, as an asyncio coroutine
// object is. Awaited directly, it runs as part of the awaiting task: the awaiting frame
// transfers control into it and it transfers back when it finishes (symmetric transfer:
// `await_suspend` returns the next frame's handle and the compiler jumps to it as a tail
// call, so a chain of 10^6 nested awaits needs no stack). Handed to create_task, it becomes
// a task: the event loop runs it in *steps*, each from one suspension to the next.
//
// Handles are counted references: copies share one frame, which lives while a handle or
// the loop (for a task that has not finished) refers to it. A task nobody holds still runs
// to its end (fire and forget), as the loop holds it. The frame holds the coroutine's
// parameters, so they live as long as the frame: a handle (a TaskRef from current_task(),
// say) kept after the task finished keeps them too. Give RAII parameters (a counter's
// guard, a connection) to a local in the body instead, if their end must come with the
// task's.
//
// Cancellation follows asyncio: cancel() asks; the task sees CancelledError at its next
// suspension point (at once if it is suspended now), its cleanup runs (RAII, catch), and an
// awaiter of a cancelled task sees CancelledError too. A task awaiting another task passes
// the cancellation on to it and waits for it to finish.
//
// Thread-safety: a task and its handles belong to the thread of its event loop.
// Cost (measured here; see docs/coroutines.md): a frame is one allocation (operator new, or
// the frame pool); create_task adds a trip through the loop's ready queue; awaiting a
// running task adds one more when it finishes.
#pragma once

#include <coroutine>
#include <source_location>
#include <string>
#include <type_traits>
#include <utility>

#include "models/core/trace.hpp"
#include "models/coroutines/errors.hpp"
#include "models/coroutines/promise.hpp"
#include "models/coroutines/task_core.hpp"

namespace cmbench::coroutines {

class TaskRef;

namespace detail {

// co_await of a Task: see the header comment. `Move` when the Task awaited is an rvalue:
// the result is moved out (the usual `co_await f()`); otherwise it is copied.
template <class T, bool Move>
class TaskAwaiter final : public Waiting {
 public:
  explicit TaskAwaiter(Promise<T>* p) noexcept : p_(p) {}
  TaskAwaiter(const TaskAwaiter&) = delete;
  TaskAwaiter& operator=(const TaskAwaiter&) = delete;
  ~TaskAwaiter() {
    if (watch_.linked) p_->unwatch(watch_);
  }

  bool await_ready() const noexcept { return p_->done(); }

  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) {
    if (p_->state() == TaskCore::State::created) {
      p_->become_inlined(h);
      return p_->handle();  // run it now, in this task
    }
    if (!p_->is_task())  // asyncio: "cannot reuse already awaited coroutine"
      throw InvalidStateError("this coroutine is already being awaited (make it a task)");
    waiter_ = &TaskCore::current();
    if (waiter_ == p_) throw InvalidStateError("a task cannot await itself");
    if (waiter_->take_cancel()) {  // cancelled before it could wait: pass it on, and raise
      p_->cancel();
      cancelled_ = true;
      return h;
    }
    waiter_->suspend(h, this);
    watch_.fired = [](DoneWatch& w) noexcept { static_cast<TaskCore*>(w.owner)->wake(); };
    watch_.owner = waiter_;
    p_->watch(watch_);
    return TaskCore::next_step(*waiter_->loop());
  }

  decltype(auto) await_resume() {
    if (cancelled_) throw CancelledError{};
    // A cancel passed on to the awaited task is spent: what that task ended with (its
    // CancelledError, or a value if it chose to go on) is this task's answer, and its
    // cleanup may await again, as in asyncio.
    if (forwarded_) waiter_->take_cancel();
    if constexpr (std::is_void_v<T>) {
      p_->get();
    } else if constexpr (Move) {
      return T(std::move(p_->get()));
    } else {
      return static_cast<T&>(p_->get());
    }
  }

  bool withdraw() noexcept override {
    p_->cancel();  // asyncio: cancelling the awaiter cancels the task it awaits
    forwarded_ = true;
    return false;  // and it keeps waiting for that task to finish
  }
  trace::Wait waits_on() const noexcept override { return trace::Wait::join; }

 private:
  Promise<T>* p_;
  TaskCore* waiter_ = nullptr;
  DoneWatch watch_;
  bool cancelled_ = false;
  bool forwarded_ = false;
};

// Makes a coroutine a task: used by create_task (below) and the loop's run().
void schedule(TaskCore& core, std::string name, const std::source_location& where);

}  // namespace detail

// A counted, untyped reference to a task: what current_task() and all_tasks() give, and what
// a monitor lists. Empty when default-constructed or outside any task.
class TaskRef {
 public:
  TaskRef() noexcept = default;
  explicit TaskRef(detail::TaskCore* core) noexcept : core_(core) {
    if (core_) core_->add_ref();
  }
  TaskRef(const TaskRef& o) noexcept : TaskRef(o.core_) {}
  TaskRef(TaskRef&& o) noexcept : core_(std::exchange(o.core_, nullptr)) {}
  TaskRef& operator=(TaskRef o) noexcept {
    std::swap(core_, o.core_);
    return *this;
  }
  ~TaskRef() {
    if (core_) core_->drop_ref();
  }

  explicit operator bool() const noexcept { return core_ != nullptr; }
  bool done() const noexcept { return core_->done(); }
  bool cancelled() const noexcept { return core_->cancelled(); }
  bool cancel() noexcept { return core_->cancel(); }
  std::string name() const { return core_->name(); }
  std::uint64_t id() const noexcept { return core_->id(); }
  std::string describe() const { return core_->describe(); }
  // The exception the task finished with (null if it returned, or has not finished).
  std::exception_ptr exception() const noexcept {
    core_->retrieve();
    return core_->error();
  }
  friend bool operator==(const TaskRef& a, const TaskRef& b) noexcept { return a.core_ == b.core_; }
  detail::TaskCore& core() const noexcept { return *core_; }

 private:
  detail::TaskCore* core_ = nullptr;
};

template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;
  using value_type = T;

  Task() noexcept = default;
  Task(const Task& o) noexcept : p_(o.p_) {
    if (p_) p_->add_ref();
  }
  Task(Task&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  Task& operator=(Task o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~Task() {
    if (p_) p_->drop_ref();
  }

  explicit operator bool() const noexcept { return p_ != nullptr; }
  bool done() const noexcept { return p_->done(); }
  bool cancelled() const noexcept { return p_->cancelled(); }
  bool cancel() noexcept { return p_->cancel(); }
  std::string name() const { return p_->name(); }
  void set_name(std::string name) { p_->set_name(std::move(name)); }

  // The result of a finished task (T&, or void), or its exception rethrown;
  // InvalidStateError if it has not finished.
  decltype(auto) result() const {
    if (!p_->done()) throw InvalidStateError("result(): the task has not finished");
    return p_->get();
  }
  std::exception_ptr exception() const noexcept {
    p_->retrieve();
    return p_->error();
  }

  auto operator co_await() & noexcept { return detail::TaskAwaiter<T, false>(p_); }
  auto operator co_await() && noexcept { return detail::TaskAwaiter<T, true>(p_); }

  operator TaskRef() const noexcept { return TaskRef(p_); }  // NOLINT: a task is a TaskRef
  detail::TaskCore& core() const noexcept { return *p_; }

 private:
  friend class detail::Promise<T>;
  explicit Task(promise_type* p) noexcept : p_(p) { p_->add_ref(); }
  promise_type* p_ = nullptr;
};

template <class T>
Task<T> detail::Promise<T>::get_return_object() noexcept {
  set_handle(std::coroutine_handle<Promise>::from_promise(*this));
  return Task<T>(this);
}

// Schedules the coroutine as a task of the running loop, at once (asyncio.create_task), and
// returns it. `name` defaults to "Task-<id>"; `where` is recorded for debug mode's reports.
// Throws InvalidStateError outside a running loop, or if the coroutine was already started
// or scheduled.
template <class T>
Task<T> create_task(Task<T> coro, std::string name = {},
                    std::source_location where = std::source_location::current()) {
  detail::schedule(coro.core(), std::move(name), where);
  return coro;
}

// The task running now on this thread (empty outside a task).
TaskRef current_task() noexcept;

}  // namespace cmbench::coroutines
