// What a suspended task waits on, and how a cancellation reaches it: every awaiter that
// suspends a task is a Waiting, which Task::cancel() asks to withdraw (asyncio's
// Task._fut_waiter and its cancel()); and the DoneWatch nodes a task tells when it finishes
// (asyncio's done callbacks). Both are for the model's awaiters, not for its users.
// Thread-safety: the loop's thread only.
#pragma once

#include "models/core/trace.hpp"

namespace cmbench::coroutines::detail {

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

}  // namespace cmbench::coroutines::detail
