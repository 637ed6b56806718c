// How the callbacks model shows up in a trace (models/core/trace.hpp): what a task is here,
// and the small steps every hook is made of.
//
// A task is a Deferred's chain (id: the chain block's address), as a Twisted user thinks of
// "a Deferred": made by Deferred(), defer_later, defer_to_thread, gather_results,
// DeferredList or DeferredSemaphore.acquire, by the task running then (its parent). It runs
// while its callbacks run (fired, or resumed after a Deferred it returned fired), waits on
// what will fire it (a timer for defer_later, the pool for defer_to_thread, another chain for
// a returned Deferred or a list, the semaphore for acquire), and finishes once its last
// callback ran (with an exception if it ended in a Failure), or when its last handle goes
// unfired (cancelled). A connection is a task too (id: the Connection's address): it runs
// while its protocol's methods run, and waits to read or to write in between. react()'s main
// function is the task "main".
//
// Callbacks nest (firing a Deferred runs its callbacks at once, inside the caller's): the
// task that was running is shown ready (Wait::none) while the nested one runs, and running
// again after, so each lane holds one running task at a time.
//
// Cost: off, the hooks are a check of the global flag (or of a chain's own `traced_` byte,
// which is false when off) and a predicted branch; everything else is out of line.
// Thread-safety: the loop thread, as every Deferred.
#pragma once

#include <cstdint>

#include "models/core/trace.hpp"

namespace cmbench::callbacks::detail {

// The steps are the core's (models/core/trace.hpp), shared with the other loop models.
using trace::Because;
using trace::switch_back;
using trace::switch_to;
using trace::wake_cause;

}  // namespace cmbench::callbacks::detail
