// Semaphore: bounded concurrency between tasks of one loop (asyncio.Semaphore).
//
//   co_await sem.acquire(); ...; sem.release();
//   { auto held = co_await sem.hold(); ... }          // released at the end of the scope
//                                                     // (asyncio's `async with sem:`)
// Fairness: waiters are served oldest first. release() hands a permit directly to the oldest
// waiter, so a task that arrives later cannot take it first (asyncio gets the same effect by
// keeping the woken waiter in its queue).
// Cancellation: a waiting acquire that is cancelled leaves the queue and raises
// CancelledError; one that was already handed a permit returns holding it (the cancel is
// delivered at the next suspension point), so a permit is never lost.
// Cost: an uncontended acquire does not suspend; a contended one is a wake-up through the
// ready queue. Thread-safety: the loop's thread only.
#pragma once

#include <coroutine>
#include <cstddef>

#include "models/coroutines/suspension.hpp"

namespace cmbench::coroutines {

class Semaphore {
 public:
  explicit Semaphore(std::size_t permits = 1) noexcept : free_(permits) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  // No permit can be taken without waiting.
  bool locked() const noexcept { return free_ == 0 || !waiters_.empty(); }
  std::size_t available() const noexcept { return free_; }

  void release() noexcept {
    if (!waiters_.empty()) {
      Acquire& next = waiters_.pop_front();
      next.handed_ = true;  // the permit goes straight to it
      next.task()->wake();
    } else {
      ++free_;
    }
  }

  class [[nodiscard]] Acquire : public detail::Suspension, public detail::WaitNode {
   public:
    explicit Acquire(Semaphore& s) noexcept : sem_(s) {}
    ~Acquire() { sem_.waiters_.remove(*this); }
    bool await_ready() noexcept {
      if (sem_.free_ == 0 || !sem_.waiters_.empty()) return false;
      --sem_.free_;
      return true;
    }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) {
      if (!begin(h)) return h;
      sem_.waiters_.push_back(*this);
      return switch_away();
    }
    void await_resume() const { end(); }
    bool withdraw() noexcept override {
      sem_.waiters_.remove(*this);
      cancelled_ = true;
      return true;
    }
    detail::TaskCore* task() const noexcept { return task_; }

   protected:
    Semaphore& sem_;

   private:
    friend class Semaphore;
    bool handed_ = false;
  };
  Acquire acquire() noexcept { return Acquire(*this); }

  // Releases one permit when destroyed.
  class [[nodiscard]] Held {
   public:
    explicit Held(Semaphore* s) noexcept : sem_(s) {}
    Held(Held&& o) noexcept : sem_(std::exchange(o.sem_, nullptr)) {}
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    ~Held() {
      if (sem_) sem_->release();
    }

   private:
    Semaphore* sem_;
  };
  class [[nodiscard]] Hold final : public Acquire {
   public:
    using Acquire::Acquire;
    Held await_resume() const {
      end();
      return Held(&sem_);
    }
  };
  Hold hold() noexcept { return Hold(*this); }

 private:
  std::size_t free_;
  detail::WaitList<Acquire> waiters_;
};

}  // namespace cmbench::coroutines
