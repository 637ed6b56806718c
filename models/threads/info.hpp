// OS threads, in the style of Python's threading and concurrent.futures: a thread per task
// for blocking work (std::jthread), or a ThreadPoolExecutor (executor.hpp) when a bound is
// wanted, TBB's task_group for CPU work. The kernel schedules the threads preemptively on
// every core, so tasks are concurrent and parallel.
#pragma once

#include "models/core/model.hpp"

namespace cmbench::threads {

inline constexpr ModelInfo info{
    .name = "threads",
    .style = "threading / concurrent.futures",
    .idiom = "std::jthread per task, tbb::task_group for CPU work; blocking calls",
    .concurrent = true,
    .parallel = true,
    .max_tasks = 10'000,
    .limit_reason =
        "each thread costs two mappings against vm.max_map_count 65530 and a pid against "
        "pid_max 32768: about 32 k at most per process; 10 000 keeps a safe margin",
    .task_start_us = 30,
};

// Threads on a tbb::task_group: the tasks are TBB's, queued in memory and run by one worker
// thread per core, so no OS thread is made per task and the kernel's limits do not apply.
// Cells that run their tasks so declare this.
inline constexpr ModelInfo tbb_info = [] {
  ModelInfo m = info;
  m.max_tasks = 10'000'000;
  m.limit_reason =
      "memory: a task_group's queued task is a few dozen bytes; the workers are one per core "
      "whatever the number of tasks";
  m.task_start_us = 0.1;
  return m;
}();

}  // namespace cmbench::threads
