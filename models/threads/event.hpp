// Event: threading.Event, a flag that threads wait for.
//
//   Event stop;
//   if (stop.wait(5s)) return;   // stop.wait(5): true once stop.set(), false after 5 s
//   stop.set();                  // from any thread: every waiter wakes now
//
// Guarantees: wait() returns true as soon as set() has been called (before or during the
// wait), and wait(timeout) false when the timeout passes first; set() wakes every waiter;
// clear() unsets it for later waits. Not guaranteed: the order waiters wake in.
// Why an Event and not a std::stop_source: a condition_variable_any wait with a stop token
// would serve one thread as well, but each such wait registers a callback on the one shared
// stop state, whose callback list libstdc++ 12 guards with a lock that spins (yielding)
// rather than sleeps; thousands of threads registering at once on 2 cores is where a
// spinning lock does worst. The Event's mutex sleeps, and what a waiter costs is its wait.
// Cost: a mutex and a condition variable; set() is one notify_all, after which the waiters
// take the mutex one at a time. Thread-safety: every member from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace cmbench::threads {

class Event {
 public:
  void set() {
    {
      std::lock_guard lock(mutex_);
      flag_ = true;
    }
    changed_.notify_all();
  }
  void clear() {
    std::lock_guard lock(mutex_);
    flag_ = false;
  }
  bool is_set() const {
    std::lock_guard lock(mutex_);
    return flag_;
  }
  void wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return flag_; });
  }
  template <class Rep, class Period>
  bool wait(std::chrono::duration<Rep, Period> timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return flag_; });
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool flag_ = false;  // guarded by mutex_
};

}  // namespace cmbench::threads
