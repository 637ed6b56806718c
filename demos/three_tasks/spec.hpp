// three_tasks: the tutorials' first example. Three tasks wait 2, 3 and 1 units (the
// tutorials' seconds; --unit). Run one after another they take 6 units; run concurrently,
// 3: the longest wait, because the waits overlap.
//
// Every model's demo says, in this order of events:
//   "Task N started" when task N begins its wait (N = 1, 2, 3, waiting 2, 3, 1 units),
//   "Task N finished" when its wait is over,
//   "total T s" at the end, T the seconds since the run began.
// What the output must show (tests/demos_test.cpp):
//  - sequential: started/finished pairs in call order, total ≈ 6 units;
//  - every concurrent model: the three starts before any finish, finishes in the order
//    3, 1, 2 (shortest wait first), total ≈ 3 units;
//  - where the tasks ran: one lane for the event-driven models (the waits overlapped on one
//    thread), a lane per task for threads and processes.
#pragma once

#include "scenario.hpp"

namespace cmbench::demos::three_tasks {

Scenario describe();

// One demo per model, in demos/three_tasks/<model>.cpp.
void sequential();
void threads();
void processes();
void callbacks();
void futures();
void fibers();
void coroutines();

}  // namespace cmbench::demos::three_tasks
