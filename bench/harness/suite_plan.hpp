// Planning a suite run, before anything runs: which cells, how many repetitions of each,
// what each is expected to take and its time limit, which implementations are traced, and
// what the whole run should take. The estimates feed the ETA and the expectation printed
// before the run; they are never used as results.
#pragma once

#include <ostream>
#include <vector>

#include "cells/registry.hpp"
#include "harness/suite.hpp"

namespace cmbench {

// A cell as the run holds it: with the CPUs it may use. A cell run with both budgets is
// planned twice, one after the other, so that the two see the machine alike.
struct PlannedCell {
  Cell cell;
  CpuBudget budget = CpuBudget::all;
  // "sleep_fanout/threads/N:3", or "sleep_fanout/threads/N:3 on 1 CPU"
  std::string title() const;
};

struct SuitePlan {
  // Every selected cell, those beyond a model's limit included.
  std::vector<PlannedCell> cells;
  std::vector<int> cpus;   // the CPUs the run may use (a cell with budget `all` uses these)
  int one_cpu = -1;        // where a cell with budget `one` runs: the last of them
  std::size_t to_run = 0;  // the cells within their model's limit
  int repetitions = 0;     // the profile's count (or --repetitions)
  bool repetitions_given = false;
  double repetitions_budget_s = 60;  // a longer cell gets fewer repetitions (at least 3)
  int python_repetitions = 3;        // at most this many for a Python row
  double min_time = 0;               // seconds each repetition lasts at least
  double timeout_s = 0;              // 0: each cell's limit derives from its estimate
  // One traced run per implementation, at its workload's traced scale (docs/timelines.md);
  // in the quick profile, per model (its own version) of four workloads (traced_in_quick).
  std::vector<Cell> traced;
  // The micro-benchmark rows the profile leaves out (a Google Benchmark filter), or "".
  // The quick profile leaves out the skynet rows (the spawn_many workload's skynet cells show
  // every model's tree; the rows take a third of the micro-benchmarks' time) and the trace
  // recorder's (`cmbench trace-cost` prices it).
  std::string micro_filter;
  static constexpr double probe_s = 0.010;  // one speed probe (speed_probe.hpp)
  double expected_cells_s = 0, expected_micro_s = 0, expected_timelines_s = 0,
         expected_report_s = 0;

  // Repetitions of this cell: the profile's count (python_repetitions for a Python row),
  // fewer (at least 3) for cells so long that the count would take more than
  // repetitions_budget_s; an explicit --repetitions as given.
  int repetitions_for(const PlannedCell& c) const;
  // Seconds one run of this cell is expected to take.
  double run_seconds(const PlannedCell& c) const;
  // Seconds this cell's process is expected to take, with the speed probe after it.
  double expected_seconds(const PlannedCell& c) const;
  // Seconds after which this cell's process is killed.
  double time_limit(const PlannedCell& c) const;
  // Seconds after which a traced run is killed.
  double timeline_limit(const Cell& c) const;
};

// Throws BadInput when no cell matches the selection.
SuitePlan plan_suite(const Catalog& catalog, const SuiteOptions& options);

// Prints (stderr) what the run holds and what it should take on an idle machine.
void print_plan(const SuitePlan& plan, const SuiteOptions& options);

// Prints every planned cell (its repetitions, one run's estimate, its process's expected
// seconds, or why it does not run), then each workload's cells and expected total
// (`cmbench suite --plan`).
void print_plan_cells(const SuitePlan& plan, std::ostream& out);

}  // namespace cmbench
