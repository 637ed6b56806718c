// blocking: what a CPU-bound or blocking call does to each model (the tutorials' "parallelism
// vs concurrency", and asyncio's debug mode).
//
// Part A. Four chunks of pure computation, about half a unit each (kernel.hpp calibrates
// the work on this machine). One event loop runs them one after another on its one thread,
// whatever the idiom: no speed-up. Threads, processes and the event loops' offload pools
// (deferToThread, run_in_executor, to_thread, gevent's threadpool) run them on both cores.
// Part B. A ticker says "tick N" every quarter unit while another task makes one blocking
// call (std::this_thread::sleep_for, not the model's own sleep) of 1 unit. On an event loop
// nothing else runs meanwhile: the ticks stop for a unit, and the model's slow-callback
// detector reports it. A thread or a process blocks only itself: the ticker keeps ticking.
//
// Every model's demo says, in this order:
//   "<where>: chunk N started" / "<where>: chunk N finished" for N = 1..4, <where> one of
//     sequential, loop (plain tasks on the event loop), pool (the loop's offload pool),
//     threads, processes; then "<where>: 4 chunks in T s";
//   "tick N" (N = 1..8) from the ticker; "blocking call: sleep 1 unit" and "blocking call
//     returned" around the blocking call; on an event loop, "detector: <its report>", the
//     report naming the seconds the callback took.
// What the output must show (tests/demos/blocking_test.cpp):
//  - loop and sequential: the chunks run one at a time, on one thread;
//  - pool, threads, processes: two chunks run at once (on a machine with two cores);
//  - every event-driven model: the ticks stop for ≥ 0.8 unit around the blocking call, and
//    the detector's report appears; threads and processes: no such gap, no report;
//  - sequential: the ticks wait for the blocking call too (everything there blocks).
#pragma once

#include "scenario.hpp"

namespace cmbench::demos::blocking {

inline constexpr int chunks = 4;
inline constexpr double chunk_units = 0.5;
inline constexpr int ticks = 8;
inline constexpr double tick_units = 0.25;
inline constexpr double block_after_units = 0.6;  // the blocking call starts after this
inline constexpr double block_units = 1.0;
// The detectors' threshold: asyncio's default slow_callback_duration (0.1 s) at a unit of
// 1 s.
inline constexpr double slow_units = 0.1;

Scenario describe();

// One demo per model, in demos/blocking/<model>.cpp.
void sequential();
void threads();
void processes();
void callbacks();
void futures();
void fibers();
void coroutines();

}  // namespace cmbench::demos::blocking
