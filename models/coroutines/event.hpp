// Event: a flag that tasks can wait for (asyncio.Event). wait() returns at once if the flag
// is set; otherwise the task sleeps until set() wakes every waiter, oldest first.
// Guarantees: a waiter woken by set() returns from wait() even if clear() is called before
// it runs (it was set when it was woken). Cancelling a waiter removes it.
// Cost: set() is one ready-queue push per waiter; wait() on a set event does not suspend.
// Thread-safety: the loop's thread only (use the reactor's call_soon_threadsafe to set it
// from another thread).
#pragma once

#include <coroutine>

#include "models/coroutines/suspension.hpp"

namespace cmbench::coroutines {

class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  bool is_set() const noexcept { return set_; }
  void set() noexcept {
    set_ = true;
    while (!waiters_.empty()) waiters_.pop_front().task()->wake();
  }
  void clear() noexcept { set_ = false; }

  class [[nodiscard]] Waiter final : public detail::Suspension, public detail::WaitNode {
   public:
    explicit Waiter(Event& e) noexcept : event_(e) {}
    ~Waiter() { event_.waiters_.remove(*this); }
    bool await_ready() const noexcept { return event_.set_; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) {
      if (!begin(h)) return h;
      event_.waiters_.push_back(*this);
      return switch_away();
    }
    void await_resume() const { end(); }
    bool withdraw() noexcept override {
      event_.waiters_.remove(*this);
      cancelled_ = true;
      return true;
    }
    detail::TaskCore* task() const noexcept { return task_; }

   private:
    Event& event_;
  };
  Waiter wait() noexcept { return Waiter(*this); }

 private:
  bool set_ = false;
  detail::WaitList<Waiter> waiters_;
};

}  // namespace cmbench::coroutines
