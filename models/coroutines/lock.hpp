// Lock: mutual exclusion between tasks of one loop (asyncio.Lock).
//
//   co_await lock.acquire(); ...; lock.release();
//   { auto held = co_await lock.hold(); ... }         // (asyncio's `async with lock:`)
//
// A Lock is a Semaphore of one permit (semaphore.hpp) that must be released only while
// held: it has the Semaphore's fairness (oldest waiter first, the lock handed to it
// directly), cancellation (a cancelled waiter never loses the lock) and cost.
// Thread-safety: the loop's thread only.
#pragma once

#include "models/coroutines/errors.hpp"
#include "models/coroutines/semaphore.hpp"

namespace cmbench::coroutines {

class Lock {
 public:
  bool locked() const noexcept { return sem_.available() == 0; }
  Semaphore::Acquire acquire() noexcept { return sem_.acquire(); }
  Semaphore::Hold hold() noexcept { return sem_.hold(); }
  // Raises InvalidStateError if the lock is not held (asyncio raises RuntimeError).
  void release() {
    if (!locked()) throw InvalidStateError("Lock.release(): the lock is not acquired");
    sem_.release();
  }

 private:
  Semaphore sem_{1};
};

}  // namespace cmbench::coroutines
