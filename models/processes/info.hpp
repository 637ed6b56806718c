// OS processes, in the style of Python's multiprocessing: a forked Process per task, or a
// Pool of forked workers fed through pipes. Results and exceptions travel back through the
// pipe; every child is reaped. Concurrent and parallel, at ≈ 0.3 ms per fork here.
#pragma once

#include "models/core/model.hpp"

namespace cmbench::processes {

inline constexpr ModelInfo info{
    .name = "processes",
    .style = "multiprocessing",
    .idiom = "a forked Process per task, or Pool.map over pipes; results travel back by pipe",
    .concurrent = true,
    .parallel = true,
    .max_tasks = 1'000,
    .limit_reason =
        "a fork costs about 0.3 ms, a pid (pid_max 32768) and, until joined, one pipe fd in "
        "the parent; 1 000 simultaneous children keep within the default fd limit of 1 024 and a "
        "sane start time",
    .task_start_us = 300,
};

}  // namespace cmbench::processes
