// Coroutines on one event loop, in the style of asyncio: C++20 stackless coroutines
// (Task<T>, co_await) scheduled by an EventLoop over the shared reactor. A task is
// suspended only where it writes co_await, so between two awaits it runs alone: tasks are
// concurrent, never parallel; CPU work goes to to_thread.
#pragma once

#include "models/core/model.hpp"

namespace cmbench::coroutines {

inline constexpr ModelInfo info{
    .name = "coroutines",
    .style = "asyncio",
    .idiom =
        "C++20 co_await: Task<T>, run, create_task, gather, wait_for, TaskGroup, Queue, "
        "streams, to_thread, on one EventLoop",
    .concurrent = true,
    .parallel = false,
    .max_tasks = 10'000'000,
    .limit_reason =
        "memory: a waiting sleep_fanout task is one coroutine frame (its task state "
        "inside) and a 56-byte timer entry, about 300 bytes; 10^7 tasks are about 3 GB of "
        "this machine's 24 GB",
    .task_start_us = 0.15,
};

}  // namespace cmbench::coroutines
