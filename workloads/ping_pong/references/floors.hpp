// The floors of ping_pong, as reference rows: the least a hand-off can cost by each road the
// models take, measured in the same run. A coroutine model is read against the symmetric
// transfer, a fiber model against the raw stack switch, threads against the futex and
// processes against the pipe (or the futex, for their shared-memory variant).
#pragma once

#include "models/core/model.hpp"

namespace cmbench::ping_pong {

inline constexpr ModelInfo symmetric_transfer_floor{
    .name = "symmetric_transfer",
    .style = "two raw C++20 coroutines (the floor of a coroutine hand-off)",
    .idiom = "await_suspend returns the other coroutine's handle: a tail call, no loop, no queue",
    .concurrent = true,
    .parallel = false,
    .max_tasks = 2,
    .limit_reason = "two coroutines",
    .task_start_us = 0.02,
    .reference = true,
};

inline constexpr ModelInfo fcontext_floor{
    .name = "fcontext",
    .style = "a raw Boost.Context switch (the floor of a fiber hand-off)",
    .idiom = "boost::context::fiber resume() each way: a stack switch, no scheduler",
    .concurrent = true,
    .parallel = false,
    .max_tasks = 2,
    .limit_reason = "two stacks",
    .task_start_us = 0.2,
    .reference = true,
};

inline constexpr ModelInfo futex_floor{
    .name = "futex",
    .style = "two threads and futex(2) (the floor of a kernel hand-off between threads)",
    .idiom = "an atomic word per direction, FUTEX_WAIT on it, FUTEX_WAKE after storing it",
    .concurrent = true,
    .parallel = true,
    .max_tasks = 2,
    .limit_reason = "two threads",
    .task_start_us = 30,
    .reference = true,
};

inline constexpr ModelInfo pipe_floor{
    .name = "pipe",
    .style = "two processes and two pipes (the floor of a hand-off between processes)",
    .idiom = "fork, then an 8-byte write and a blocking read each way",
    .concurrent = true,
    .parallel = true,
    .max_tasks = 2,
    .limit_reason = "two processes",
    .task_start_us = 300,
    .reference = true,
};

}  // namespace cmbench::ping_pong
