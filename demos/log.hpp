// The runner's side of say() (demo.hpp): the log that every line of a run goes to.
//
// The log lives in one anonymous shared mapping made at the first begin_run(), so that a
// forked child's lines land in it too. Bounded: 4096 lines per run; later lines are still
// printed, and counted as dropped.
// Thread-safety: say() from any thread or child; begin_run() and end_run() from the
// runner's thread while no demo runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "scenario.hpp"

namespace cmbench::demos {

// The unit of time for the demos that run next (inherited by forked children).
void set_unit(std::chrono::milliseconds unit) noexcept;

// Empties the log and starts the clock: the calling thread is "thread A" at +0.000 s.
void begin_run();

// The lines said since begin_run(), in time order; `dropped` gets those the log had no room
// for.
std::vector<Line> end_run(std::uint64_t* dropped = nullptr);

}  // namespace cmbench::demos
