// `cmbench trace-cost`: what the trace recorder (models/core/trace.hpp) costs, off and on.
//
// Off: two hot paths (micro/dispatch/reactor, micro/task_pingpong/coroutines) timed with the
// recorder compiled in but off (`cmbench micro`, A) and built without it
// (cmbench-trace-floor, B), each in a child process of its own, alternating A B A B ... for
// a number of rounds, so that a machine whose load drifts weighs on both alike. Per row: the
// medians over the rounds, their ratio (off ÷ without) and the spread, and whether the ratio
// is within 2 % of 1. On: one child runs micro/trace/*, whose rows give the ns per event of a
// bare event and the events per operation of the same hot paths with the recorder on, hence
// the cost per event, (on − off) ÷ events.
//
// Guarantees: it measures, it does not judge. The exit status is 0 whatever the ratio (a
// busy machine moves it by more than 2 %; the verdict is printed), 1 if a child failed (a row's
// wrong answer, a crash), 2 if cmbench-trace-floor is not next to this executable (sanitizer
// builds do not build it: there is no timing there to compare).
// Cost: 2 × rounds children of about 2 × min_time seconds each, plus one for the on rows.
// Nanoseconds are CPU time per operation (Google Benchmark's items_per_second), which a
// shared machine disturbs less than wall time.
#pragma once

#include <string>

namespace cmbench {

struct TraceCostOptions {
  int rounds = 5;
  double min_time_s = 0.5;  // --benchmark_min_time of every child
  std::string json_path;    // also write the numbers here, if not empty
};

// Runs the children (this executable, and cmbench-trace-floor beside it) and prints the
// tables.

int trace_cost(const TraceCostOptions& o);

}  // namespace cmbench
