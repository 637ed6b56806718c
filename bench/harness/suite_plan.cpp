#include "suite_plan.hpp"

#include <fmt/core.h>
#include <algorithm>
#include <iostream>
#include <limits>

#include "harness/process_tuning.hpp"

namespace cmbench {
namespace {

// ---- What the suite expects to take ------------------------------------------------------
// Calibrated on this 2-vCPU VM against the seconds measured per cell (kept beside each
// estimate in results.json, `expected_s`), so that a drift shows at the end of every run.

// One cell's process: its start (the binary, its libraries, the catalog: ≈ 0.08 s), the
// untimed warm-up run, then Google Benchmark's repetitions. A repetition lasts at least
// min_time. In the first one Google Benchmark finds how many runs fill min_time by timing
// growing batches (1, 10, ... runs), ≈ 1.2·min_time in all when one run is much shorter than
// min_time; the others then repeat that count, ≈ 1.1·min_time.
double cell_seconds(double run, double min_time, int reps) {
  constexpr double start_s = 0.08;
  if (run >= min_time) return start_s + run * (1 + reps);
  return start_s + run + 1.2 * min_time + (reps - 1) * 1.1 * min_time;
}

// The micro-benchmarks' process (bench/micro/): about 24 rows of a cheap operation that fill
// each repetition with min_time, and 6 whose single run (a 10^6-task skynet, 10^6 timers in
// a heap) takes ≈ 0.45 s and is a repetition by itself.
double micro_seconds(double min_time, int reps, bool skynet) {
  constexpr int short_rows = 24;
  const int long_rows = skynet ? 6 : 1;
  constexpr double long_run_s = 0.45;
  return 0.5 + short_rows * cell_seconds(0, min_time, reps) +
         long_rows * reps * std::max(min_time, long_run_s);
}

// The report (scripts/report.py): starting Python and matplotlib, then its charts, a few per
// workload group; about proportional to the cells.
double report_seconds(std::size_t cells) {
  return 3 + 0.05 * static_cast<double>(cells);
}

// One traced run (cmbench run --trace): a process start, the warm-up and the recorded run,
// then the JSON written (≈ 1 µs per event).
double timeline_seconds(const Cell& c) {
  return 0.15 + 2 * c.estimate_seconds();
}

// The timeline charts in the report: Python reads each trace and draws a stacked chart per
// workload (≈ 0.4 s per small trace).
double chart_seconds(std::size_t traces) {
  return 0.4 * static_cast<double>(traces);
}

// The workloads the quick profile records timelines of: those whose timelines tell
// concurrency from parallelism most plainly (tasks that wait, chunks that compute, fetches
// that overlap, and a pipeline that does both).
bool traced_in_quick(const Workload& w) {
  for (const char* name : {"sleep_fanout", "cpu_bound", "http_fetch", "fetch_and_process"})
    if (w.name == name) return true;
  return false;
}

// One traced run of each implementation among `cells`, at its workload's traced scale,
// unless that scale is not applicable to it or beyond its model's limit. A row that runs
// another runtime (a Python row: ModelInfo::twin) is not traced: the recorder sees only the
// models' runtimes. The quick profile traces each model's own version alone, not its variants
// nor the reference rows (a third of the recorded runs, and of the timelines' time), in the
// workloads of traced_in_quick.
std::vector<Cell> traced_cells(const std::vector<Cell>& cells, bool quick) {
  std::vector<Cell> traced;
  for (const auto& c : cells) {
    if (!c.impl->bounds().twin.empty() || c.impl->bounds().program_per_run) continue;
    if (quick &&
        (!c.impl->variant.empty() || c.model().reference || !traced_in_quick(c.workload())))
      continue;
    bool seen = false;
    for (const auto& t : traced) seen = seen || t.impl == c.impl;
    if (seen) continue;
    const Workload& w = c.workload();
    Cell t{c.impl, w.traced.items().empty() ? w.smallest : w.traced};
    if (t.impl->not_applicable && !t.impl->not_applicable(t.params).empty()) continue;
    if (!t.beyond_limit()) traced.push_back(t);
  }
  return traced;
}

// The cells that the standard choice also runs on one CPU: those of the workloads where the
// budgets differ the most (waiting overlaps on one CPU as well as on two; computing speeds
// up only with two), but not the sequential model's, which runs one task at a time on one
// thread whatever it may use, nor the Python rows (an interpreter's start per run); `--cpus
// both` runs those too.
bool one_cpu_too(const Cell& c) {
  const std::string& w = c.workload().name;
  return (w == "sleep_fanout" || w == "cpu_bound") && c.model().name != "sequential" &&
         c.impl->bounds().twin.empty() && !c.impl->bounds().program_per_run;
}

// Of those, the quick profile keeps the cells whose run takes at most 0.1 s (processes at
// N = 1 000 and fibers at 10^5 tasks are left to --full), the full profile those of at most
// 0.2 s (10^6 waiting tasks are left to --exhaustive), the exhaustive one all.
double one_cpu_max_run_s(Profile p) {
  switch (p) {
    case Profile::quick:
      return 0.1;
    case Profile::full:
      return 0.2;
    case Profile::exhaustive:
      break;
  }
  return std::numeric_limits<double>::infinity();
}

std::vector<PlannedCell> with_budgets(const std::vector<Cell>& cells, CpuChoice choice,
                                      Profile profile) {
  std::vector<PlannedCell> planned;
  for (const auto& c : cells) {
    if (choice != CpuChoice::one) planned.push_back({c, CpuBudget::all});
    const bool standard = choice == CpuChoice::standard && one_cpu_too(c) &&
                          c.estimate_seconds() <= one_cpu_max_run_s(profile);
    if (choice == CpuChoice::one || choice == CpuChoice::both || standard)
      planned.push_back({c, CpuBudget::one});
  }
  return planned;
}

// How long each profile measures a cell. Quick: 3 repetitions, enough for a median and a
// spread. Full: 9, the fewest with which a Mann–Whitney U test between two runs means
// something (scripts/compare.py), each at least as long as quick's; fewer (at least 3) for a
// cell whose 9 would take more than 1.6 s (a server's window with its warm-up, 0.32 s: 5),
// and quick's 3 for a Python row (each of its repetitions starts an interpreter). Exhaustive:
// 10 of at least 0.5 s, fewer for a cell whose 10 would take more than a minute.
struct ProfileTimes {
  int repetitions;
  double min_time_s;
  double repetitions_budget_s;
  int python_repetitions;
};

ProfileTimes profile_times(Profile p) {
  switch (p) {
    case Profile::quick:
      return {3, 0.04, 60, 3};
    case Profile::full:
      return {9, 0.04, 1.6, 3};
    case Profile::exhaustive:
      return {10, 0.5, 60, 10};
  }
  return {3, 0.04, 60, 3};
}

}  // namespace

CpuChoice parse_cpu_choice(const std::string& text) {
  if (text == "1" || text == "one") return CpuChoice::one;
  if (text == "all") return CpuChoice::all;
  if (text == "both") return CpuChoice::both;
  throw BadInput("--cpus " + text + ": expected 1, all or both");
}

const char* budget_name(CpuBudget b) {
  return b == CpuBudget::one ? "one" : "all";
}

std::string PlannedCell::title() const {
  return budget == CpuBudget::one ? cell.name() + " on 1 CPU" : cell.name();
}

// A Python row runs once per repetition (gbench.cpp), each run after an interpreter's start
// and imports (≈ 0.25 s on average here; Twisted's are the slowest).
// An MPI row (workloads/mpi/launch.hpp) likewise, after a job's launch (≈ 0.35 s here), and
// one more launch per repetition: the next run's job, started in the last run's check and
// ended unused when the repetition ends.
constexpr double python_start_s = 0.25, mpi_launch_s = 0.7;

namespace {

// What starts before each run of a row that runs once per repetition; 0 for the others.
double start_per_run_s(const Cell& c) {
  if (!c.impl->bounds().twin.empty()) return python_start_s;
  return c.impl->bounds().program_per_run ? mpi_launch_s : 0;
}

}  // namespace

int SuitePlan::repetitions_for(const PlannedCell& c) const {
  if (repetitions_given) return repetitions;
  const double start = start_per_run_s(c.cell);
  const int most = start > 0 ? std::min(python_repetitions, repetitions) : repetitions;
  const double one = start > 0 ? start + run_seconds(c) : std::max(min_time, run_seconds(c));
  return std::clamp(static_cast<int>(repetitions_budget_s / one), std::min(3, most), most);
}

double SuitePlan::run_seconds(const PlannedCell& c) const {
  // On one CPU a parallel model's run takes up to as many times longer as it had CPUs.
  const bool squeezed = c.budget == CpuBudget::one && c.cell.impl->bounds().parallel;
  return c.cell.estimate_seconds() * (squeezed ? static_cast<double>(cpus.size()) : 1.0);
}

double SuitePlan::expected_seconds(const PlannedCell& c) const {
  const double start = start_per_run_s(c.cell);
  const double process = start == 0 ? cell_seconds(run_seconds(c), min_time, repetitions_for(c))
                                    : 0.08 + (1 + repetitions_for(c)) * (start + run_seconds(c));
  return process + probe_s;  // the speed probe that follows it
}

double SuitePlan::time_limit(const PlannedCell& c) const {
  if (timeout_s > 0) return timeout_s;
  return 30 + repetitions_for(c) * 4 * std::max(min_time, run_seconds(c));
}

double SuitePlan::timeline_limit(const Cell& c) const {
  return 30 + 4 * timeline_seconds(c);
}

SuitePlan plan_suite(const Catalog& catalog, const SuiteOptions& o) {
  const bool quick = o.profile == Profile::quick;
  SuitePlan p;
  const std::vector<Cell> selected = catalog.select(o.profile, o.workloads, o.models);
  if (selected.empty()) throw BadInput("no cell matches the selection");
  p.cells = with_budgets(selected, o.cpus, o.profile);
  p.cpus = allowed_cpus();
  if (p.cpus.empty()) throw BadInput("this process may run on no CPU (sched_getaffinity)");
  p.one_cpu = p.cpus.back();
  const ProfileTimes times = profile_times(o.profile);
  p.repetitions_given = o.repetitions > 0;
  p.repetitions = p.repetitions_given ? o.repetitions : times.repetitions;
  p.repetitions_budget_s = times.repetitions_budget_s;
  p.python_repetitions = times.python_repetitions;
  p.min_time = o.min_time_s > 0 ? o.min_time_s : times.min_time_s;
  p.timeout_s = o.timeout_s;
  for (const auto& c : p.cells) {
    if (c.cell.beyond_limit()) continue;
    p.expected_cells_s += p.expected_seconds(c);
    ++p.to_run;
  }
  if (o.profile != Profile::exhaustive)
    p.micro_filter = quick ? "-micro/(skynet|trace)/" : "-micro/trace/";
  p.expected_micro_s = o.micro ? micro_seconds(p.min_time, p.repetitions, !quick) : 0;
  if (o.timelines) p.traced = traced_cells(selected, quick);
  for (const auto& t : p.traced) p.expected_timelines_s += timeline_seconds(t);
  p.expected_report_s =
      o.report_script.empty() ? 0 : report_seconds(p.cells.size()) + chart_seconds(p.traced.size());
  return p;
}

void print_plan(const SuitePlan& p, const SuiteOptions& o) {
  const double total =
      p.expected_cells_s + p.expected_micro_s + p.expected_timelines_s + p.expected_report_s;
  std::cerr << fmt::format(
      "{} profile: {} cells ({} of them on 1 CPU, {} beyond a model's limit, listed, not run), "
      "{} repetitions of at least {} s\nexpected: about {} on an idle machine (cells {}{}{}{})\n",
      profile_name(o.profile), p.cells.size(),
      std::count_if(p.cells.begin(), p.cells.end(),
                    [](const PlannedCell& c) { return c.budget == CpuBudget::one; }),
      p.cells.size() - p.to_run, p.repetitions, p.min_time, clock_text(total),
      clock_text(p.expected_cells_s),
      o.micro ? ", micro-benchmarks " + clock_text(p.expected_micro_s) : "",
      p.traced.empty() ? "" : ", timelines " + clock_text(p.expected_timelines_s),
      o.report_script.empty() ? "" : ", report " + clock_text(p.expected_report_s));
}

void print_plan_cells(const SuitePlan& p, std::ostream& out) {
  struct Total {
    std::string workload;
    int cells = 0;
    double seconds = 0;
  };
  std::vector<Total> totals;
  out << fmt::format("{:<64} {:>5} {:>10} {:>10}\n", "cell", "reps", "s/run", "expected");
  for (const auto& c : p.cells) {
    const std::string& w = c.cell.workload().name;
    if (totals.empty() || totals.back().workload != w) totals.push_back({w});
    if (c.cell.beyond_limit()) {
      out << fmt::format("{:<64} {:>5} {:>10} {:>10}\n", c.title(), "-", "-", "beyond limit");
      continue;
    }
    const double s = p.expected_seconds(c);
    totals.back().cells += 1;
    totals.back().seconds += s;
    out << fmt::format("{:<64} {:>5} {:>10.3f} {:>10.1f}\n", c.title(), p.repetitions_for(c),
                       p.run_seconds(c), s);
  }
  out << fmt::format("\n{:<20} {:>6} {:>10}\n", "workload", "cells", "expected");
  for (const auto& t : totals)
    out << fmt::format("{:<20} {:>6} {:>10}\n", t.workload, t.cells, clock_text(t.seconds));
}

}  // namespace cmbench
