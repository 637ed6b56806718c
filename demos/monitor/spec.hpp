// monitor: a live task table while a fan-out runs, as aiomonitor's `ps` or the tutorial's
// all_tasks() loop shows it. Five workers, worker-1 … worker-5, wait 1 … 5 units; every
// tick (half a unit) a monitor prints which of them are still alive, so the table shrinks
// by one each unit as they finish: 5, 4, 3, 2, 1, 0 alive.
//
// Every model's demo says:
//   "ps: N alive: <entries>" each tick, N the fan-out's workers still alive and the entries
//     naming exactly those workers ("worker-3"), decorated with what the model knows of
//     them (a task's state, a thread's or process's state letter, a pid); after a "|", what
//     else the model lists (asyncio's current task and main);
//   "worker-K finished" when worker K's wait is over;
//   "total T s" at the end.
// The ticks fall at 0.25, 0.75, 1.25 … units: a quarter unit from every finish, so that a
// line never races a worker's end. The monitor stops after the tick that finds none alive.
// What the output must show (tests/demos/monitor_test.cpp):
//  - every concurrent model: the first table lists the five workers; a worker is listed
//    while its wait is not over and gone from the tables after it; the counts never grow
//    and end at 0; total ≈ 5 units;
//  - sequential: one task at a time: each table lists the one worker that runs (1 alive),
//    and the waits add up to 15 units.
#pragma once

#include "scenario.hpp"

namespace cmbench::demos::monitor {

Scenario describe();

// One demo per model, in demos/monitor/<model>.cpp.
void sequential();
void threads();
void processes();
void callbacks();
void futures();
void fibers();
void coroutines();

}  // namespace cmbench::demos::monitor
