// errors: an exception inside a fan-out. Task 1 fails after 1 unit; tasks 2 and 3 wait 2
// and 3 units and return 2 and 3. What becomes of the failure, and of the siblings?
//
// Every model's demo has two parts, each headed by its line:
//   "-- errors collected with the results": the collector keeps the failure as one of the
//      results (gather(return_exceptions), DeferredList, each future's or greenlet's or
//      child's own outcome, a try around each call), said in call order as
//      "Task 1 -> error: <message>", "Task 2 -> 2", "Task 3 -> 3";
//   "-- cancel the siblings on the first failure": the first failure stops the others
//      (TaskGroup, cancelled delayed calls or timeouts, killall, a stop flag, terminate),
//      said as "first failure: <message>"; each sibling stopped says
//      "Task N cancelled, cleaning up" from its clean-up.
// Each task says "Task N started", and "Task N finished" if it ends normally; task 1 says
// "Task 1 raises an error" as it fails. Threads and processes end with "3 threads joined"
// or "3 children reaped".
// What the output must show (tests/demos/errors_test.cpp):
//  - every model: one error and two values collected, in call order;
//  - every concurrent model: in the second part, tasks 2 and 3 never finish; each says its
//    clean-up line within one unit of task 1's failure;
//  - sequential: the failure ends the loop, and tasks 2 and 3 never start.
#pragma once

#include "scenario.hpp"

namespace cmbench::demos::errors {

Scenario describe();

// One demo per model, in demos/errors/<model>.cpp.
void sequential();
void threads();
void processes();
void callbacks();
void futures();
void fibers();
void coroutines();

}  // namespace cmbench::demos::errors
