// The baseline: one thing after another on one thread, with blocking calls. Every other
// model's speed-up is measured against it, in the same run and at the same parameters.
#pragma once

#include "models/core/model.hpp"

namespace cmbench::sequential {

inline constexpr ModelInfo info{
    .name = "sequential",
    .style = "plain blocking code",
    .idiom = "a loop: each task runs to its end before the next one starts",
    .concurrent = false,
    .parallel = false,
    .max_tasks = 10'000,
    .limit_reason =
        "one task at a time: the time, not the memory, is the limit (10^5 waits of 10 ms "
        "would take 17 minutes per run)",
    .task_start_us = 0,
};

}  // namespace cmbench::sequential
