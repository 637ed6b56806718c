// spawn_many's reference rows: what creating and joining a task costs with no model around
// it. Not models (ModelInfo::reference): the report draws them apart, as the lines the
// models' rows are read against.
#pragma once

#include "models/core/model.hpp"

namespace cmbench::references {

inline constexpr ModelInfo tbb{
    .name = "tbb",
    .style = "oneTBB task_group at its leanest (the floor of the threads model on TBB)",
    .idiom = "tbb::task_group; run the last child on the calling thread; results on the stack",
    .concurrent = true,
    .parallel = true,
    .max_tasks = 10'000'000,
    .limit_reason = "memory: a queued TBB task is a few dozen bytes; 10^7 of them fit easily",
    .task_start_us = 0.05,
    .reference = true,
};

inline constexpr ModelInfo coroutine_floor{
    .name = "coroutine_floor",
    .style = "bare lazy C++20 coroutines, no loop (the floor of the coroutines model)",
    .idiom =
        "a lazy coroutine per task, awaited at once by its parent through symmetric transfer; "
        "one frame allocated and freed per task, nothing else",
    .concurrent = false,
    .parallel = false,
    .max_tasks = 10'000'000,
    .limit_reason =
        "none in this workload: each task is awaited at once, so at most the "
        "tree's depth of frames is alive",
    .task_start_us = 0.02,
    .reference = true,
};

}  // namespace cmbench::references
