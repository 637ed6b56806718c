// Writing a suite run's results: results.json, in Google Benchmark's shape (`context`,
// `benchmarks`) with the suite's own record under `cmbench`: the models, the workloads, one
// row per cell, the micro-benchmarks and the timelines. scripts/report.py reads it.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "cells/registry.hpp"
#include "harness/recorded_environment.hpp"
#include "harness/suite.hpp"
#include "harness/suite_plan.hpp"

namespace cmbench {

// What the run recorded so far, in results.json's words.
struct RunRecord {
  // The run's stamp: 20260101-120000.
  std::string started;
  // Every child's Google Benchmark entries, and the first cell's Google Benchmark context.
  nlohmann::json benchmarks = nlohmann::json::array();
  nlohmann::json context;
  nlohmann::json cells = nlohmann::json::array();
  nlohmann::json micro = {{"status", "not run"}, {"reason", ""}};
  nlohmann::json timelines = nlohmann::json::array();
  nlohmann::json hosts = {{"used", false}};  // SuiteHosts::record
};

// A cell's row before it runs: ok, no time, no log yet.
nlohmann::json cell_row(const Cell& cell);

// A traced run's row: ok; its trace and log named relative to the run directory.
nlohmann::json timeline_row(const Cell& cell, const std::filesystem::path& trace,
                            const std::filesystem::path& log, const std::filesystem::path& run_dir);

// A Google Benchmark-shaped entry for a cell that produced no entries of its own.
nlohmann::json error_entry(const std::string& cell, int repetitions, const std::string& reason);

// The UTC time now, in strftime's `format`.
std::string utc_now(const char* format);

// Writes `run_dir`/results.json whole (through a temporary file and a rename). `env` is the
// environment recorded when the run started; the workloads are the selected ones.
void write_results(const std::filesystem::path& run_dir, const RunRecord& record,
                   const Catalog& catalog, const SuiteOptions& options, const SuitePlan& plan,
                   const Environment& env, double duration_s);

}  // namespace cmbench
