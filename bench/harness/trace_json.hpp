// A recording (trace.hpp) as Chrome Trace Event JSON, which Perfetto (ui.perfetto.dev) and
// chrome://tracing open unchanged, and scripts/timeline.py draws.
//
// What the file holds (docs/timelines.md shows how to read it):
//  - `M` metadata: a name for every process and OS thread, and the threads' order;
//  - `X` slices, cat "thread": when each OS thread ran (a gap is the thread idle or blocked
//    in the kernel), and nested in them what it ran (a task's step, a pool job);
//  - one async track per task, cat "task": a `b`/`e` pair for its life, named after it,
//    and nested pairs for its states: running, ready (waiting for its thread), waiting on
//    a timer, a read, a write, a lock, a join, a pool or a process;
//  - flow arrows, cat "flow": "spawn" from the creating task to the new task's first step,
//    "wake" from whatever made a task ready (a task, or the pool job it waited for) to its
//    next step;
//  - `otherData`: the cell, the model, the run's wall and CPU time, Σ task lifetime, the
//    events recorded and those dropped by a full buffer.
// Time is in µs since the recording started, with ns precision.
//
// Tasks a runtime does not announce: an OS thread that is not an event loop's and runs no
// announced task (the sequential program, the main thread waiting on its threads) is a task
// of its own, named after the thread, living from its first event to its last.
//
// Cost: O(E log E) for E events, about 1 µs per event; run after the measured run.
#pragma once

#include <cstdint>
#include <string>

#include "models/core/trace.hpp"

namespace cmbench::trace {

struct RunInfo {
  std::string cell;               // sleep_fanout/threads/N:3/d:100ms/w:2-3-1
  std::string model;              // threads
  std::int64_t run_start_ns = 0;  // the traced run, CLOCK_MONOTONIC
  std::int64_t run_end_ns = 0;
  std::int64_t cpu_ns = 0;  // user + system, children included, during the run
  unsigned cores = 0;
};

// What the JSON's otherData says, computed from the recording.
struct Summary {
  std::uint64_t tasks = 0;
  std::int64_t wall_ns = 0;
  std::int64_t cpu_ns = 0;  // RunInfo's
  // Σ over tasks of end − creation, but for tasks that made others or spent more than half
  // their life waiting for others (a main joining its threads, a gather): the average
  // number of tasks alive and working, times the wall time.
  std::int64_t task_lifetime_ns = 0;
  std::int64_t task_running_ns = 0;  // Σ over all tasks: time in the running state
  std::int64_t busy_ns = 0;          // Σ over OS lanes: time not blocked
  std::uint64_t events = 0, dropped = 0;
  std::uint64_t lanes = 0, processes = 0;
};

// Writes the JSON to `path` (through a temporary file and a rename). Throws
// std::runtime_error if it cannot write.
Summary write_json(const Recording& rec, const RunInfo& info, const std::string& path);

}  // namespace cmbench::trace
