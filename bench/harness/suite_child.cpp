#include "suite_child.hpp"

#include <sys/statvfs.h>
#include <sys/wait.h>

#include <fmt/core.h>
#include <fstream>
#include <regex>
#include <sstream>

#include "spawn.hpp"

namespace cmbench {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Google Benchmark writes a counter's NaN or infinity (the CV of an all-zero counter, say)
// as bare NaN / Infinity, which is not JSON: read them as null.
json read_benchmark_json(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  static const std::regex not_json(R"((:\s*)-?(NaN|Infinity)\b)");
  return json::parse(std::regex_replace(text.str(), not_json, "$1null"), nullptr,
                     /*allow_exceptions=*/false);
}

// Why a child did not end well: how it ended, and the last line it logged, or rather a
// sanitizer's verdict among its last lines ("ERROR: AddressSanitizer: SEGV on ...": the
// last line is then only "ABORTING").
std::string ending_of(const Spawned& s, const fs::path& log) {
  std::istringstream tail(tail_of(log, 60));
  std::string line, last, verdict;
  while (std::getline(tail, line)) {
    if (!line.empty()) last = line;
    const bool sanitizer =
        line.find("Sanitizer") != std::string::npos &&
        (line.find("ERROR: ") != std::string::npos || line.find("WARNING: ") != std::string::npos);
    if (verdict.empty() && (sanitizer || line.find("runtime error:") != std::string::npos))
      verdict = line;
  }
  const std::string& said = verdict.empty() ? last : verdict;
  return describe_status(s.status) + (said.empty() ? "" : ": " + said);
}

// Whether the filesystem that holds `path` has no room left for a non-root user.
bool disk_full(const fs::path& path) {
  struct statvfs fs_info {};
  return ::statvfs(path.parent_path().c_str(), &fs_info) == 0 && fs_info.f_bavail == 0;
}

ChildOutcome classify(const Spawned& s, double limit, const fs::path& log,
                      const fs::path& out_json) {
  ChildOutcome v;
  if (s.timed_out) {
    v.status = "timeout";
    v.reason = fmt::format("timeout after {:.0f} s (the cell's time limit)", limit);
    return v;
  }
  // Exit status 0: every run verified; 1: a cell failed and said why in its JSON.
  json produced;
  if (WIFEXITED(s.status)) produced = read_benchmark_json(out_json);
  bool have = !produced.is_discarded() && produced.contains("benchmarks") &&
              !produced["benchmarks"].empty();
  if (have) {
    for (const auto& b : produced["benchmarks"]) {
      if (b.value("error_occurred", false) && v.reason.empty())
        v.reason = b.value("error_message", "error");
      v.entries.push_back(b);
    }
    if (produced.contains("context")) v.context = produced["context"];
  }
  if (have && !v.reason.empty()) {
    v.status = "failed";
  } else if (have && WEXITSTATUS(s.status) == 0) {
    v.status = "ok";
  } else {
    v.status = "crashed";
    v.reason = ending_of(s, log);
    // Exit status 0 with no results: it could not write them (a full disk, say).
    if (WIFEXITED(s.status) && WEXITSTATUS(s.status) == 0)
      v.reason = "exited with status 0 but wrote no results to " + out_json.string() +
                 (disk_full(out_json) ? " (its disk is full)" : "");
    v.entries.clear();
  }
  return v;
}

}  // namespace

void fail_outcome(ChildOutcome& v, const std::string& why) {
  if (v.status != "ok") {  // it failed already: the first reason stays first
    v.reason += "; " + why;
    return;
  }
  v.status = "failed";
  v.reason = why;
  for (auto& b : v.entries) {
    b["error_occurred"] = true;
    b["error_message"] = why;
  }
}

std::string left_its_cpu(const std::vector<json>& entries) {
  for (const auto& e : entries) {
    const char* counter = e.contains("server_cpu_util") ? "server_cpu_util" : "cpu_util";
    if (!e.contains(counter) || !e[counter].is_number()) continue;
    if (const double used = e[counter].get<double>(); used > 1.1)
      return fmt::format("confined to one CPU, it used {:.2f} CPUs ({})", used, counter);
  }
  return "";
}

std::string tail_of(const fs::path& log, std::size_t lines) {
  std::ifstream in(log);
  std::vector<std::string> all;
  for (std::string l; std::getline(in, l);) all.push_back(l);
  std::string out;
  for (auto i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i)
    out += all[i] + "\n";
  return out;
}

ChildOutcome run_benchmark_child(const SuiteOptions& o, const std::vector<std::string>& command,
                                 int repetitions, double min_time, const fs::path& log,
                                 const fs::path& out_json, double limit,
                                 const std::function<bool()>& stop) {
  std::vector<std::string> argv = {o.executable.string(),
                                   fmt::format("--timer-slack-ns={}", o.timer_slack_ns)};
  argv.insert(argv.end(), command.begin(), command.end());
  argv.insert(argv.end(), {fmt::format("--benchmark_repetitions={}", repetitions),
                           fmt::format("--benchmark_min_time={}", min_time),
                           "--benchmark_display_aggregates_only=true",
                           "--benchmark_out=" + out_json.string(), "--benchmark_out_format=json"});
  Spawned s = spawn_and_wait(argv, log, limit, stop);
  ChildOutcome v = classify(s, limit, log, out_json);
  fs::remove(out_json);
  return v;
}

std::string run_traced_child(const SuiteOptions& o, const std::string& cell_name,
                             const fs::path& json_path, const fs::path& log, double limit,
                             const std::function<bool()>& stop) {
  Spawned s =
      spawn_and_wait({o.executable.string(), fmt::format("--timer-slack-ns={}", o.timer_slack_ns),
                      "run", "--cell=" + cell_name, "--trace=" + json_path.string()},
                     log, limit, stop);
  if (s.timed_out) return fmt::format("timeout after {:.0f} s", limit);
  if (!WIFEXITED(s.status) || WEXITSTATUS(s.status) != 0 || !fs::exists(json_path))
    return ending_of(s, log);
  return "";
}

}  // namespace cmbench
