// Semaphore and BoundedSemaphore: at most `value` holders at once, for code written with
// futures (tornado.locks.Semaphore and BoundedSemaphore).
//
//   Semaphore sem(10);
//   sem.acquire()   -> Future<void>: resolves when a slot is ours (done on return if one is
//                      free, else once an earlier holder releases)
//   sem.release()   frees a slot: the longest waiter gets it, now
// Bounding many operations, Tornado 4 style (no coroutines):
//   sem.acquire().then([&] {
//     auto op = start_operation();
//     op.add_done_callback([&](auto&) { sem.release(); });  // on success and failure alike
//     return op;
//   });
//
// Guarantees: never more than `value` acquirers hold a slot at once, when every holder
// releases once; waiters get slots in the order they called acquire (FIFO), each as soon as
// a slot is released: inside release(), since a future runs its done-callbacks as it resolves
// (future.hpp). Semaphore, as Tornado's, lets release() raise the count beyond the initial
// value; BoundedSemaphore throws std::logic_error instead ("released too many times").
// Not provided: acquire with a timeout (Tornado's acquire(timeout)), `async with`.
// Ownership: waiters still queued when the semaphore is destroyed never resolve (their
// futures are dropped, like a Tornado coroutine that is never resumed).
// Cost: an acquire with a free slot is one resolved future; a waiting one, a future in a
// queue. Thread-safety: none; the loop's thread, as every future.
#pragma once

#include <cstddef>
#include <deque>
#include <stdexcept>
#include <utility>

#include "models/futures/future.hpp"

namespace cmbench::futures {

class Semaphore {
 public:
  explicit Semaphore(std::size_t value = 1) : value_(value) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  Future<void> acquire() {
    Future<void> slot;
    if (value_ > 0) {
      --value_;
      slot.set_result();
    } else {
      detail::Access::state(slot).set_wait(trace::Wait::lock);  // what its follower waits on
      waiters_.push_back(slot);
    }
    return slot;
  }

  void release() {
    if (waiters_.empty()) {
      ++value_;
      return;
    }
    // The slot goes straight to the first waiter: value_ stays 0.
    Future<void> next = std::move(waiters_.front());
    waiters_.pop_front();
    next.set_result();
  }

  std::size_t value() const noexcept { return value_; }  // slots free now
  std::size_t waiting() const noexcept { return waiters_.size(); }

 private:
  // Invariant: waiters_ is empty unless value_ == 0.
  std::size_t value_;
  std::deque<Future<void>> waiters_;
};

// A Semaphore whose release() throws once every slot is free: a release without its acquire
// is a bug to report, not a slot to create.
class BoundedSemaphore : public Semaphore {
 public:
  explicit BoundedSemaphore(std::size_t value = 1) : Semaphore(value), initial_(value) {}

  void release() {
    if (waiting() == 0 && value() >= initial_)
      throw std::logic_error("BoundedSemaphore released too many times");
    Semaphore::release();
  }

 private:
  std::size_t initial_;
};

}  // namespace cmbench::futures
