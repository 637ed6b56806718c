// order: in what order results come back, and main working while its tasks wait. The three
// tasks of three_tasks (waits of 2, 3 and 1 units) each return their number.
//
// Every model's demo has three parts, each headed by its line:
//   "-- results in call order": the framework's collector (gather, DeferredList, multi,
//      joinall, futures read in submission order, join in order) gives the results as a
//      list in the order the tasks were started, whatever order they finished in, said as
//      "results in call order: 1, 2, 3";
//   "-- results as they complete": each result is taken the moment its task finishes
//      (as_completed or wait(FIRST_COMPLETED), a callback per Deferred or future, iwait, a
//      queue the tasks put into), said as "got result N";
//   "-- main keeps working": the tasks start, and main says "main working", works for 1.5
//      units, then "main done working", before it waits for the tasks.
// Each task says "Task N started" and "Task N finished".
// What the output must show (tests/demos/order_test.cpp):
//  - every model: "results in call order: 1, 2, 3";
//  - every concurrent model: "got result" 3, 1, 2 (the shortest wait first); "main working"
//    before any task finishes, "main done working" after Task 3 finished (1 unit) and before
//    Task 1 did (2 units): main's lines fall between the tasks' lines;
//  - sequential: "got result" 1, 2, 3 (each task ends before the next begins), and main
//    works only after the tasks: one thread cannot do both at once.
#pragma once

#include "scenario.hpp"

namespace cmbench::demos::order {

Scenario describe();

// One demo per model, in demos/order/<model>.cpp.
void sequential();
void threads();
void processes();
void callbacks();
void futures();
void fibers();
void coroutines();

}  // namespace cmbench::demos::order
