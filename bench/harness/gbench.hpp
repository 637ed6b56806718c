// Registers cells with Google Benchmark. Each iteration runs the cell once (timed, real
// time), then verifies the result with the timer paused; a wrong result ends the cell with
// SkipWithError and is never recorded as a time. Counters per cell:
//   items_per_second  tasks completed per second of wall time
//   cpu_util          (process + reaped children CPU time) ÷ wall time of the runs
//   peak_rss_kib      this process's RSS high-water mark; child_peak_rss_kib the largest child's
//   vol_cs, invol_cs  voluntary / involuntary context switches per run, children included
//   peak_in_flight    the largest, over the runs, of the measured peak tasks at once
//   tasks             tasks completed per run
//   and a workload's own figures (Verdict::metrics), averaged over the runs
// Google Benchmark's own "CPU" column is the main thread's CPU time only (other threads and
// children are missing; MeasureProcessCPUTime would rename every cell): cpu_util is the
// figure to read. Before the timed runs, each cell runs once
// untimed (a verified warm-up). A cell beyond its model's limit is registered too, and
// reports that as its error.
#pragma once

#include <vector>

#include "cells/registry.hpp"

namespace cmbench {
void register_benchmarks(const std::vector<Cell>& cells);

// How many registered cells ended with an error (failed, threw, beyond the limit) so far.
int failed_benchmarks();
}  // namespace cmbench
