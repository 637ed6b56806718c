// Event, as gevent.event.Event: a flag greenlets wait for. set() wakes every waiter, and
// later waits return at once until clear().
//
// Thread-safety: any thread may set() it (a greenlet on the work-stealing pool, say); a
// timed wait needs the hub.
#pragma once

#include <chrono>

#include "models/core/engine.hpp"
#include "models/fibers/wait.hpp"

namespace cmbench::fibers {

class Event {
 public:
  void set() noexcept {
    SpinGuard lock(lock_);
    flag_ = true;
    waiters_.notify_all();
  }
  void clear() noexcept {
    SpinGuard lock(lock_);
    flag_ = false;
  }
  bool is_set() const noexcept {
    SpinGuard lock(lock_);
    return flag_;
  }
  // Blocks until set. Raises the caller's interrupts.
  void wait() {
    SpinGuard lock(lock_);
    if (flag_) return;
    waiters_.wait(lock);
  }
  // The same, for at most `timeout`: whether it is set.
  bool wait(std::chrono::nanoseconds timeout) {
    SpinGuard lock(lock_);
    if (flag_) return true;
    return waiters_.wait_until(lock, monotonic_ns() + timeout.count());
  }

 private:
  mutable Spinlock lock_;
  WaitQueue waiters_{lock_};
  bool flag_ = false;
};

}  // namespace cmbench::fibers
