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
#include <cstdint>
#include <exception>
#include <optional>
#include <source_location>
#include <string>
#include <type_traits>
#include <utility>

#include "models/core/trace.hpp"
#include "models/coroutines/errors.hpp"
#include "models/coroutines/frame_pool.hpp"

namespace cmbench::coroutines {

class EventLoop;
template <class T = void>
class Task;
class TaskRef;

namespace detail {

class TaskCore;

// Whatever a suspended task waits for: a timer, another task, a queue, a socket (asyncio's
// Task._fut_waiter). Each awaiter that suspends a task derives from it.
class Waiting {
 public:
  // Task::cancel() of the waiting task calls this. Return true after withdrawing (the event
  // will not wake the task; the cancel wakes it now and its await_resume throws
  // CancelledError). Return false to pass the cancel on (awaiting another task cancels that
  // task): the event still wakes the task, and the cancel stays pending for its next
  // suspension.
  virtual bool withdraw() noexcept = 0;
  // What the task waits on, for a trace: a lock, a queue or an event unless said otherwise.
  virtual trace::Wait waits_on() const noexcept { return trace::Wait::lock; }

 protected:
  ~Waiting() = default;
};

// A node on a task's list of those to tell when it finishes: awaiters, gather, wait,
// TaskGroup, the loop's run(). Owned by whoever links it; `fired` runs once, at the end of
// the task's last step, and must not destroy the task (it may schedule others).
struct DoneWatch {
  DoneWatch* prev = nullptr;
  DoneWatch* next = nullptr;
  void (*fired)(DoneWatch&) noexcept = nullptr;
  void* owner = nullptr;
  bool linked = false;
};

struct Origin;  // debug mode: where a coroutine or task was created (task.cpp)

// The state of a frame, and of the task it becomes. It is the base of every Task's promise,
// so a task costs no allocation beyond its frame.
class TaskCore {
 public:
  // The life of a frame (asyncio's tasks.py keeps the same states in _state, _fut_waiter
  // and _must_cancel):
  //   created   — a coroutine object: not started. It may be awaited (→ inlined) or handed
  //               to create_task (→ scheduled), once.
  //   inlined   — running as part of the task that awaited it; it will never be a task.
  //               → done when it returns, and transfers straight back to its awaiter.
  //   scheduled — a task with exactly one step queued on the loop. → running.
  //   running   — a task whose code is executing now: it is the current task.
  //               → waiting (an awaiter suspended it), or → done.
  //   waiting   — a task suspended on `waiting_`, with no step queued. Its event, or a
  //               cancel that the Waiting withdraws from, queues its next step.
  //               → scheduled.
  //   done      — finished: a result, or error_ (CancelledError if cancelled). Its
  //               watchers have been told, and the loop no longer holds it.
  // Only tasks (scheduled, running, waiting, done after being a task) are on the loop's
  // list of tasks and hold a reference of the loop's while not done.
  enum class State : std::uint8_t { created, inlined, scheduled, running, waiting, done };

  TaskCore() noexcept;
  TaskCore(const TaskCore&) = delete;
  TaskCore& operator=(const TaskCore&) = delete;

  State state() const noexcept { return state_; }
  bool is_task() const noexcept { return loop_ != nullptr; }
  bool done() const noexcept { return state_ == State::done; }
  bool cancelled() const noexcept { return cancelled_; }
  // Requests cancellation (asyncio's Task.cancel). False if the task has finished, or if
  // this is not a task (a coroutine object has nothing to cancel).
  bool cancel() noexcept;
  // A cancellation was requested and not yet delivered (at a suspension point).
  bool cancel_pending() const noexcept { return cancel_requested_; }
  const std::exception_ptr& error() const noexcept { return error_; }
  std::string name() const;
  void set_name(std::string name) { name_ = std::move(name); }
  std::uint64_t id() const noexcept { return id_; }
  // Marks the result or exception as looked at: debug mode reports tasks never awaited.
  void retrieve() noexcept { retrieved_ = true; }

  void add_ref() noexcept { ++refs_; }
  void drop_ref() noexcept {
    if (--refs_ == 0) release();
  }

  // ---- for awaiters ----
  // The task running now on this thread; throws InvalidStateError outside a task.
  static TaskCore& current();
  static TaskCore* current_or_null() noexcept;
  // A cancellation is pending: consume it (the caller throws CancelledError).
  bool take_cancel() noexcept {
    bool pending = cancel_requested_;
    cancel_requested_ = false;
    return pending;
  }
  // The running task suspends at `at` until `on` (or a cancel) wakes it.
  void suspend(std::coroutine_handle<> at, Waiting* on) noexcept {
    resume_ = at;
    waiting_ = on;
    state_ = State::waiting;
    if (trace::on()) [[unlikely]]
      trace::record(trace::Kind::suspended, trace_id(), 0,
                    static_cast<std::uint8_t>(on->waits_on()));
  }
  // The task's identity in a trace: its frame's state, unique while it lives.
  trace::TaskId trace_id() const noexcept { return reinterpret_cast<std::uintptr_t>(this); }
  // Queues the next step of a waiting task on the loop (asyncio's call_soon(__wakeup)).
  void wake() noexcept;
  // Runs the next step of a waiting task now. Only from a callback the loop itself runs
  // (a timer), never from inside a task.
  void wake_now() noexcept;
  void watch(DoneWatch& w) noexcept;
  void unwatch(DoneWatch& w) noexcept;

  // ---- for create_task, the promise and the loop ----
  void become_task(EventLoop& loop, std::string name, const std::source_location& where);
  void become_inlined(std::coroutine_handle<> awaiter) noexcept {
    state_ = State::inlined;
    continuation_ = awaiter;
  }
  std::coroutine_handle<> handle() const noexcept { return self_; }
  std::coroutine_handle<> at_final_suspend() noexcept;
  void start_check() {  // the task's first step: a cancel may have come before it
    if (state_ == State::running && take_cancel()) throw CancelledError{};
  }
  EventLoop* loop() const noexcept { return loop_; }
  std::string describe() const;  // "<Task-3 'main' waiting>", for monitors and reports

 protected:
  ~TaskCore();
  void set_handle(std::coroutine_handle<> self) noexcept { self_ = self; }
  std::exception_ptr error_;

 private:
  friend class cmbench::coroutines::EventLoop;
  static void step(TaskCore* task) noexcept;
  void finish() noexcept;
  void release() noexcept;  // the last reference went: destroy the frame
  void capture_origin();

  std::coroutine_handle<> self_;          // this frame
  std::coroutine_handle<> resume_;        // where the next step continues (innermost frame)
  std::coroutine_handle<> continuation_;  // inlined: the frame that awaits this one
  Waiting* waiting_ = nullptr;            // non-null exactly when state_ is waiting
  EventLoop* loop_ = nullptr;             // set once it becomes a task
  DoneWatch* watchers_ = nullptr;         // told in the order they came: first, ..., last
  DoneWatch* last_watcher_ = nullptr;
  TaskCore* prev_task_ = nullptr;  // the loop's list of tasks not done (all_tasks)
  TaskCore* next_task_ = nullptr;
  Origin* origin_ = nullptr;  // debug mode only
  std::string name_;
  std::uint64_t id_ = 0;
  std::uint32_t refs_ = 0;
  State state_ = State::created;
  bool cancel_requested_ = false;
  bool retrieved_ = false;
  bool cancelled_ = false;  // done, with CancelledError
};

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
    return std::noop_coroutine();
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
