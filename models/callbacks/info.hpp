// Callbacks, in the style of Twisted: one reactor thread; a task is a callback registered for
// an event (a delayed call, a socket becoming readable, a thread's result), and its result
// travels down a Deferred's chain of callbacks and errbacks. Concurrent (tasks overlap in
// time) but not parallel: only defer_to_thread's functions run on other cores.
#pragma once

#include "models/core/model.hpp"

namespace cmbench::callbacks {

inline constexpr ModelInfo info{
    .name = "callbacks",
    .style = "Twisted",
    .idiom =
        "reactor.call_later / deferLater and Protocol callbacks; results flow through "
        "Deferred chains (add_callback, add_errback) gathered by DeferredList; deferToThread",
    .concurrent = true,
    .parallel = false,
    .max_tasks = 10'000'000,
    .limit_reason =
        "a waiting task is a Deferred chain (160 bytes) and a timer entry (56 bytes): about "
        "260 bytes with its handle and result slot, measured at 10^6 and 10^7; 10^7 tasks hold "
        "about 2.5 GB of this machine's 24 GB, so memory, not the model, sets the limit",
    .task_start_us = 0.2,  // sleep_fanout at 10^6, warm: ≈ 0.2 µs per task beyond the wait
};

}  // namespace cmbench::callbacks
