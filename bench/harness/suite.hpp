// The suite runner: runs every selected cell in its own process under a time limit, like
// pyperf's workers, and merges the results into one run directory.
//
// Guarantees:
//  - isolation: a crash, a hang (killed at the time limit, with its process group, so forked
//    grandchildren die too) or a failed verification is recorded with its reason, and the
//    suite goes on; the cell's peak RSS is its own process's;
//  - every selected cell appears in the results: ok, failed, crashed, timeout, or beyond
//    its model's limit (listed, never run);
//  - nothing partial: the run is written under `<out>/.partial-<stamp>/` and renamed to
//    `<out>/<stamp>/` only when complete, files are written then renamed, and an interrupt
//    (SIGINT, SIGTERM) removes the partial directory; `<out>/latest` then points at it.
// Before the first cell it prints (stderr) what it expects the run to take, from each cell's
// estimate; the outcome says what each part took.
// Not thread-safe: one suite at a time per process (it installs signal handlers).
//
// Its steps live beside it: suite_plan (which cells, estimates, order), suite_child (each
// cell in its child process), suite_results (results.json) and suite_publish (the report,
// the final directory, `latest`).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "cells/registry.hpp"

namespace cmbench {

// The CPUs a cell may use. On one CPU only concurrency can help; on all of them, parallelism
// shows too. A one-CPU cell runs confined to the last CPU this process may use (its threads
// and child processes with it); a server's load generator runs on another CPU where there
// is one (serving/under_load.cpp).
enum class CpuBudget { all, one };
// Which budgets a run uses (--cpus): `standard` runs every cell on all the CPUs and, beside
// them, those of the workloads where the two budgets differ the most (sleep_fanout,
// cpu_bound) on one too; `one`, `all` and `both` hold for every cell.
enum class CpuChoice { standard, one, all, both };
CpuChoice parse_cpu_choice(const std::string& text);  // "1", "all", "both"; throws BadInput
const char* budget_name(CpuBudget b);                 // "one", "all"

struct SuiteOptions {
  Profile profile = Profile::quick;
  CpuChoice cpus = CpuChoice::standard;
  std::vector<std::string> workloads, models;  // empty: all
  std::filesystem::path out;                   // runs land in out/<stamp>/
  int repetitions = 0;                         // 0: the profile's (suite_plan.cpp, profile_times)
  double min_time_s = 0;                       // 0: the profile's: 0.04 s, 0.5 s for exhaustive
  double timeout_s = 0;                        // 0: derived from each cell's estimate
  long timer_slack_ns = 1;
  std::filesystem::path executable;     // the cmbench binary to run cells with
  std::filesystem::path report_script;  // scripts/report.py; empty: no report
  bool progress = true;                 // a live progress line on a terminal
  bool micro = true;                    // also run `cmbench micro` (the runtimes' costs)
  bool timelines = true;  // record one run of each workload per implementation, after the
                          // timed cells and outside them (docs/timelines.md)
};

struct SuiteOutcome {
  std::filesystem::path run_dir;
  int ok = 0, failed = 0, crashed = 0, timeout = 0, beyond_limit = 0;
  int unavailable = 0;  // cells this machine cannot run as it is (Workload::unavailable)
  bool interrupted = false;
  bool report_failed = false;
  bool micro_failed = false;  // the micro-benchmarks crashed or gave a wrong result
  int timelines_failed = 0;   // traced runs that did not verify or did not finish
  // What the suite expected to take before it started (also printed then), and what each
  // part took: the cells, the micro-benchmarks, the report; `seconds` is the whole run.
  double expected_cells_s = 0, expected_micro_s = 0, expected_timelines_s = 0,
         expected_report_s = 0;
  double cells_s = 0, micro_s = 0, timelines_s = 0, report_s = 0, seconds = 0;
  double expected_s() const {
    return expected_cells_s + expected_micro_s + expected_timelines_s + expected_report_s;
  }
};

SuiteOutcome run_suite(const Catalog& catalog, const SuiteOptions& options);

// A duration as the suite prints it: "2:36", or "2:08:50" from an hour on.
std::string clock_text(double seconds);

// A cell's name as a file name, for its log and its trace: "sleep_fanout-threads-N_100".
std::string file_stem(const std::string& cell_name);

}  // namespace cmbench
