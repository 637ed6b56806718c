// How the futures model shows up in a trace (models/core/trace.hpp): what a task is here,
// and the small steps every hook is made of.
//
// A task is a future whose callback chain is work, made by the user's API: the future
// `then` returns (its continuation is the task's step), run_in_executor's (its job runs on
// the pool), multi's (it gathers), and each IOStream (a connection: it runs while the
// done-callbacks of its reads and writes run). Id: the future state's (or the stream's)
// address. A task is made by the task running then (its parent), runs while its
// continuation runs, waits on the future it follows (on a timer if that is a sleep's, the
// socket if an IOStream read's or write's, a lock if a Semaphore's acquire, the pool for
// run_in_executor, a join if another task's), is woken when that future resolves, and
// finishes when it resolves itself (with an exception if it failed), its own followers
// having run inside. The futures that only wait (sleep, a read, an acquire) are not tasks:
// they tell their follower what it waits on (State::wait). run_sync's function is the task
// "main".
//
// Done-callbacks nest (a future runs its followers as it resolves): the task that was
// running is shown ready (Wait::none) while the nested one runs, and running again after, so
// each lane holds one running task at a time.
//
// Cost: off, the hooks are a check of the global flag (in then, multi, run_in_executor) or
// of the state's own `traced` byte (false when off; in what was padding, so a state stays 80
// bytes), and a predicted branch; the rest is out of line.
// Thread-safety: the loop thread, as every future.
#pragma once

#include <cstdint>

#include "models/core/trace.hpp"

namespace cmbench::futures::detail {

// The steps are the core's (models/core/trace.hpp), shared with the other loop models.
using trace::Because;
using trace::switch_back;
using trace::switch_to;
using trace::wake_cause;

// Task t, just made by the task running, runs its set-up and then waits on `w`.
inline void born_waiting(trace::TaskId t, trace::Wait w) noexcept {
  trace::created(t);
  const trace::TaskId previous = switch_to(t);
  trace::suspended(t, w);
  switch_back(t, previous);
}

// Task t is woken (by the running task, else by wake_cause) and runs from now on.
inline trace::TaskId wake_and_run(trace::TaskId t) noexcept {
  if (trace::current() != t) trace::woken(t, wake_cause);
  return switch_to(t);
}

}  // namespace cmbench::futures::detail
