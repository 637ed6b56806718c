// TaskCore: the state of a coroutine frame and of the task it becomes (asyncio's Task
// without its coroutine): its life from created to done, its cancellation, its watchers and
// its place on the loop. It is the base of every Task's promise (promise.hpp), so a task
// costs no allocation beyond its frame. The invariant of the states is written below, where
// they live. Thread-safety: a task belongs to the thread of its event loop.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <source_location>
#include <string>
#include <utility>

#include "models/core/trace.hpp"
#include "models/coroutines/errors.hpp"
#include "models/coroutines/waiting.hpp"

namespace cmbench::coroutines {

class EventLoop;

namespace detail {

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
  // Runs the next step of a waiting task now, or queues it (wake()) behind callbacks that
  // were ready before the turn's timers fired. Only from a timer callback, never a task.
  void wake_now() noexcept;
  // Where a task that has just suspended goes on: straight into the task the loop would
  // run next, by symmetric transfer, when nothing could run between the two
  // (Engine::next_in_turn: the turns skipped would have done nothing else), else back to
  // the loop. The order of steps is the loop's own FIFO either way; what is saved is a
  // return to the loop and a call out of it per hand-off. At most `chain_budget` switches
  // follow one step the loop started, so that a pair of tasks handing work back and forth
  // still lets the loop turn; never from an eager task's first step (it runs nested in
  // its creator's), nor in debug mode or while tracing, which time and record every step,
  // nor when the loop's direct_switch is off.
  static std::coroutine_handle<> next_step(EventLoop& loop) noexcept;
  static constexpr int chain_budget = 64;
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
  struct Step {  // the callback that runs a task's next step: recognised by next_step
    TaskCore* task;
    void operator()() const noexcept { step(task); }
  };
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

}  // namespace detail
}  // namespace cmbench::coroutines
