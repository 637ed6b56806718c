// forgotten: a task started and never awaited nor joined, and what each model does about
// it. The task, save_report, waits 1 unit and fails with "disk full"; main starts it, goes
// on with its own work for 2 units, and never looks at it. Nobody is there to hear the
// failure: each model has its own way of saying so, or of making the mistake impossible.
//
// Every model's demo says "main: ..." lines for what main does, "save_report: ..." lines
// for the task, and, as a line of its own, the warning the model gives (routed into the
// timeline where the model lets a handler be installed; printed on stderr otherwise):
//  - coroutines (debug mode): "coroutine ...fetch_report() was never awaited" for a
//    coroutine called without co_await (it never ran), and "task <save_report ...> was
//    never awaited" for the task whose exception nobody looked at;
//  - callbacks: "Unhandled error in Deferred: disk full" when the failed Deferred goes away
//    with no errback;
//  - futures: "Future exception was never retrieved: disk full" when the failed future dies;
//  - fibers: "<Greenlet at 0x…> failed with std::runtime_error: disk full", the hub's report
//    of a greenlet that died with nobody joining it;
//  - threads: a std::thread never joined calls std::terminate when it is destroyed, so the
//    program dies: shown in a forked child, whose death by signal 6 (SIGABRT) the parent
//    reports ("terminate called without an active exception" on stderr); then std::jthread,
//    which joins on its own;
//  - processes: a child that ended and was never joined is a zombie: "state Z" from
//    /proc/<pid>/stat; join() reaps it and /proc/<pid> is gone;
//  - sequential: nothing can be forgotten: a call runs to its end before the next line, and
//    its exception reaches main at once; an error returned as a value can be ignored, and
//    [[nodiscard]] makes the compiler say so.
// Every demo ends with "main: done" and exits normally (exit status 0).
#pragma once

#include "scenario.hpp"

namespace cmbench::demos::forgotten {

Scenario describe();

// One demo per model, in demos/forgotten/<model>.cpp.
void sequential();
void threads();
void processes();
void callbacks();
void futures();
void fibers();
void coroutines();

}  // namespace cmbench::demos::forgotten
