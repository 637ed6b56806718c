// sleep(d): suspends the current task for at least d (asyncio.sleep).
//
// A timer on the reactor's wheel, whose expiry runs the task's next step directly (no trip
// through the ready queue), unless a late turn finds tasks ready from before: then it goes
// behind them, as in asyncio, where `create_task(t); await sleep(d)` lets t start first.
// Cancelling the task removes the timer and raises CancelledError in it.
// Guarantees: never wakes before d has passed, measured from the call (a fresh clock read,
// as asyncio's loop.time()); at most one wheel tick (16.4 µs) plus the loop's own lateness
// after. sleep(0) (or less) is asyncio's bare yield: the task goes to the back of the ready
// queue, so every task already ready (one just made by create_task, say) runs first; a
// cancel that arrives meanwhile is raised by this sleep(0) itself, as in asyncio.
// Cost: a clock read and a timer insert (≈ 40 ns here), then the expiry and the step;
// sleep(0) is one ready-queue push and the step.
#pragma once

#include <chrono>
#include <coroutine>

#include "models/coroutines/suspension.hpp"

namespace cmbench::coroutines {

class [[nodiscard]] Sleep final : public detail::Suspension {
 public:
  explicit Sleep(std::chrono::nanoseconds delay) noexcept : delay_(delay) {}

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    yielded_ = delay_.count() <= 0;  // before begin(), so that a trace sees a yield
    if (!begin(h)) return false;
    if (yielded_) {
      // Not a zero-delay timer: timers run before the ready queue on a turn, so once a wheel
      // tick had passed, the task would resume ahead of tasks that were ready before it.
      task_->wake();
      return true;
    }
    timer_ = engine().call_later(delay_, [task = task_] { task->wake_now(); });
    return true;
  }
  void await_resume() const {
    end();
    // A yielding task is scheduled, not waiting, so a cancel could not withdraw it: the cancel
    // is pending, and this suspension point delivers it (nothing is lost by raising here).
    if (yielded_ && task_->take_cancel()) throw CancelledError{};
  }

  trace::Wait waits_on() const noexcept override {
    return yielded_ ? trace::Wait::none : trace::Wait::timer;
  }

  bool withdraw() noexcept override {  // only while the timer waits (a yield never waits)
    engine().cancel(timer_);
    cancelled_ = true;
    return true;
  }

 private:
  bool yielded_ = false;  // first: it fits in Suspension's tail padding, so frames keep their size
  std::chrono::nanoseconds delay_;
  Engine::TimerHandle timer_{};
};

inline Sleep sleep(std::chrono::nanoseconds delay) noexcept {
  return Sleep(delay);
}

}  // namespace cmbench::coroutines
