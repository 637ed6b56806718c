// Green threads on one hub, in the style of gevent: stackful fibers (Boost.Fiber) whose
// blocking-looking calls (sleep, join, a socket's recv, a file's read) switch to the hub,
// which runs the shared reactor. Greenlets are concurrent, never parallel, except on the
// work-stealing pool (two threads) that the cpu_bound variant uses.
#pragma once

#include "models/core/model.hpp"

namespace cmbench::fibers {

inline constexpr ModelInfo info{
    .name = "fibers",
    .style = "gevent",
    .idiom =
        "greenlets on Boost.Fiber: spawn, get, joinall, kill, sleep, Timeout, Pool, Event, "
        "Queue, blocking-looking sockets and files, on one hub",
    .concurrent = true,
    .parallel = false,
    .max_tasks = 1'000'000,
    .limit_reason =
        "memory: a waiting greenlet holds its 16 KiB stack, about 4 KiB resident while it "
        "waits and 8 KiB once stacks have run a greenlet to its end, plus its state and "
        "timer; 10^6 of them are about 9 GB of this machine's 24 GB and 16 GB of address "
        "space",
    // Measured at 10^6 waiting greenlets: 5.8 s a run, nearly all of it the first touch of
    // two stack pages per greenlet (≈ 1.4 µs each here) and their release.
    .task_start_us = 6,
};

// The same model on the work-stealing pool (work_stealing.hpp), where greenlets run on two
// threads at once: cells that use it declare this.
inline constexpr ModelInfo work_stealing_info = [] {
  ModelInfo m = info;
  m.parallel = true;
  return m;
}();

}  // namespace cmbench::fibers
