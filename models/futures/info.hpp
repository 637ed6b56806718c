// Futures on one event loop, in the style of Tornado without coroutines: every operation
// returns a Future, and a program is the chain of continuations (then, add_done_callback)
// and combinators (multi, with_timeout) that one writes between them. One thread runs
// every task, so tasks are concurrent, never parallel; CPU work goes to run_in_executor.
#pragma once

#include "models/core/model.hpp"

namespace cmbench::futures {

inline constexpr ModelInfo info{
    .name = "futures",
    .style = "Tornado",
    .idiom =
        "IOLoop, Future<T> composed explicitly with then / add_done_callback, multi, "
        "with_timeout, run_in_executor; no coroutines",
    .concurrent = true,
    .parallel = false,
    .max_tasks = 10'000'000,
    .limit_reason =
        "memory: a waiting sleep_fanout task is two 80-byte future states, a 56-byte timer "
        "entry and its slot in multi's result, 245 bytes measured at 10^6; 10^7 tasks are "
        "about 2.5 GB of this machine's 24 GB",
    .task_start_us = 0.15,
};

}  // namespace cmbench::futures
