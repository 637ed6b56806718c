// Running one part of a suite run in a child process of its own (spawn.hpp): a cell, the
// micro-benchmarks or a traced run, under a time limit, and reading what became of it.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/suite.hpp"

namespace cmbench {

// What became of a child that runs Google Benchmark: its status, the reason when not ok,
// and the Google Benchmark entries it wrote (none when it crashed or timed out).
struct ChildOutcome {
  std::string status;  // ok, failed, crashed, timeout
  std::string reason;
  std::vector<nlohmann::json> entries;
  nlohmann::json context;  // Google Benchmark's context, as the child recorded it
};

// Runs `cmbench <command>` (`run --cell=NAME`, `micro`) with `repetitions` of at least
// `min_time` s, its output in `log`, its JSON in `out_json` (read, then removed). Killed at
// `limit` seconds, or at once when `stop` returns true (it is called about every 20 ms).
ChildOutcome run_benchmark_child(const SuiteOptions& o, const std::vector<std::string>& command,
                                 int repetitions, double min_time, const std::filesystem::path& log,
                                 const std::filesystem::path& out_json, double limit,
                                 const std::function<bool()>& stop);

// Records one verified run of `cell_name` as a timeline in `json_path`. Returns "" when it
// verified and wrote its trace, else why not.
std::string run_traced_child(const SuiteOptions& o, const std::string& cell_name,
                             const std::filesystem::path& json_path,
                             const std::filesystem::path& log, double limit,
                             const std::function<bool()>& stop);

// Fails an outcome that was ok, its entries too, for `why`; appends `why` to the reason of
// one that was not.
void fail_outcome(ChildOutcome& v, const std::string& why);

// Why a cell confined to one CPU did not stay on it, or "": its CPU time is at most its
// wall time, give or take 10 % (a server's, where the cell measures the server apart from
// its load generator, which runs on another CPU).
std::string left_its_cpu(const std::vector<nlohmann::json>& entries);

// The last `lines` lines of a log.
std::string tail_of(const std::filesystem::path& log, std::size_t lines);

}  // namespace cmbench
