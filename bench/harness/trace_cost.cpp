#include "trace_cost.hpp"

#include "recorded_environment.hpp"
#include "spawn.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace cmbench {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// The hot paths compared off and without. One operation: a callback queued and run
// (dispatch, items are callbacks), a round trip between two tasks (ping-pong, items are
// round trips); see bench/micro/reactor.cpp and coroutines.cpp.
const std::vector<std::string> off_rows = {"micro/dispatch/reactor",
                                           "micro/task_pingpong/coroutines"};
const char* const off_filter =
    "--benchmark_filter=^micro/(dispatch/reactor|task_pingpong/coroutines)$";
// Each hot path's row with the recorder on (bench/micro/trace.cpp).
const std::map<std::string, std::string> on_row_of = {
    {"micro/dispatch/reactor", "micro/trace/dispatch_on"},
    {"micro/task_pingpong/coroutines", "micro/trace/task_pingpong_on"}};
constexpr double tolerance = 0.02;

// A temporary directory for the children's JSON and logs, removed at the end.
struct ScratchDir {
  fs::path path = fs::temp_directory_path() / fmt::format("cmbench-trace-cost-{}", getpid());
  ScratchDir() { fs::create_directories(path); }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs argv with stdout and stderr in `log`, waits for it (10 minutes at most); throws with
// the log if it fails.
void run_child(const std::vector<std::string>& argv, const fs::path& log) {
  Spawned s = spawn_and_wait(argv, log, 600);
  if (!s.timed_out && WIFEXITED(s.status) && WEXITSTATUS(s.status) == 0) return;
  std::string how = s.timed_out ? std::string("timed out after 600 s") : describe_status(s.status);
  throw std::runtime_error(fmt::format("{} failed ({}):\n{}", argv[0], how, read_file(log)));
}

// One child's rows: name → its Google Benchmark entry (iterations only).
std::map<std::string, json> run_rows(std::vector<std::string> argv, const fs::path& scratch,
                                     const std::string& tag) {
  const fs::path out = scratch / (tag + ".json"), log = scratch / (tag + ".log");
  argv.push_back("--benchmark_out=" + out.string());
  argv.push_back("--benchmark_out_format=json");
  run_child(argv, log);
  json doc = json::parse(read_file(out), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.contains("benchmarks"))
    throw std::runtime_error(argv[0] + " wrote no readable JSON; its output:\n" + read_file(log));
  std::map<std::string, json> rows;
  for (const auto& b : doc["benchmarks"])
    if (b.value("run_type", "iteration") == "iteration") rows[b.value("name", "")] = b;
  return rows;
}

// ns per operation of a row: CPU time per item.
double ns_per_op(const std::map<std::string, json>& rows, const std::string& name) {
  auto it = rows.find(name);
  double rate = it == rows.end() ? 0.0 : it->second.value("items_per_second", 0.0);
  if (!(rate > 0)) throw std::runtime_error("no items_per_second for " + name);
  return 1e9 / rate;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int trace_cost(const TraceCostOptions& o) {
  const fs::path self = fs::canonical("/proc/self/exe");
  const fs::path floor = self.parent_path() / "cmbench-trace-floor";
  if (!fs::exists(floor)) {
    std::cerr << "cmbench trace-cost: " << floor.string()
              << " not found: it is built beside cmbench except in sanitizer builds (no timing "
                 "to compare there)\n";
    return 2;
  }
  ScratchDir scratch;
  const std::string min_time = fmt::format("--benchmark_min_time={}", o.min_time_s);
  const std::vector<std::string> a_argv = {self.string(), "micro", off_filter, min_time};
  const std::vector<std::string> b_argv = {floor.string(), off_filter, min_time};

  // Off: A (compiled in, off) and B (built without), alternating.
  const bool live = isatty(STDERR_FILENO);  // progress on a terminal only
  std::map<std::string, std::vector<double>> off, without;
  for (int r = 0; r < o.rounds; ++r) {
    if (live) std::cerr << fmt::format("\r[trace-cost] round {}/{}", r + 1, o.rounds) << std::flush;
    auto a = run_rows(a_argv, scratch.path, fmt::format("a{}", r));
    auto b = run_rows(b_argv, scratch.path, fmt::format("b{}", r));
    for (const auto& row : off_rows) {
      off[row].push_back(ns_per_op(a, row));
      without[row].push_back(ns_per_op(b, row));
    }
  }
  if (live) std::cerr << "\r[trace-cost] on rows      " << std::flush;
  // On: the recorder's rows, once.
  auto on = run_rows({self.string(), "micro", "--benchmark_filter=^micro/trace/", min_time},
                     scratch.path, "on");
  if (live) std::cerr << "\r\033[K";

  json report = {{"rounds", o.rounds},
                 {"min_time_s", o.min_time_s},
                 {"load_average", load_average()},
                 {"unit", "ns per operation, CPU time"}};
  std::cout << fmt::format(
      "Recorder compiled in but off (cmbench micro) vs built without it (cmbench-trace-floor)\n"
      "ns per operation (CPU time), median of {} rounds alternating A B, spread min-max; "
      "load average {}\n\n",
      o.rounds, load_average());
  std::cout << fmt::format("{:<32} {:>26} {:>26} {:>8}\n", "row", "compiled in, off",
                           "built without", "ratio");
  std::vector<std::string> verdicts;
  for (const auto& row : off_rows) {
    const auto& a = off[row];
    const auto& b = without[row];
    double ma = median(a), mb = median(b), ratio = ma / mb;
    auto cell = [](double m, const std::vector<double>& v) {
      return fmt::format("{:.3f} ({:.3f}-{:.3f})", m, *std::min_element(v.begin(), v.end()),
                         *std::max_element(v.begin(), v.end()));
    };
    std::cout << fmt::format("{:<32} {:>26} {:>26} {:>8.4f}\n", row, cell(ma, a), cell(mb, b),
                             ratio);
    bool within = std::abs(ratio - 1) <= tolerance;
    verdicts.push_back(within
                           ? fmt::format("{}: within 2 % ({:+.2f} %)", row, (ratio - 1) * 100)
                           : fmt::format("{}: NOT within 2 %: {:+.2f} %", row, (ratio - 1) * 100));
    report["off"][row] = {
        {"compiled_in_off", a},       {"built_without", b}, {"compiled_in_off_median", ma},
        {"built_without_median", mb}, {"ratio", ratio},     {"within_2_percent", within}};
  }
  std::cout << "\n";
  for (const auto& v : verdicts) std::cout << v << "\n";

  std::cout << "\nRecorder on (cmbench micro, micro/trace/*)\n";
  double per_event = ns_per_op(on, "micro/trace/record"),
         floor_ns = ns_per_op(on, "micro/trace/floor");
  std::cout << fmt::format("{:<32} {:.2f} ns per event\n", "micro/trace/record", per_event);
  std::cout << fmt::format(
      "{:<32} {:.2f} ns per event (a clock read and 32 bytes into fresh pages: the least any "
      "recorder pays)\n",
      "micro/trace/floor", floor_ns);
  report["on"]["micro/trace/record"] = {{"ns_per_event", per_event}};
  report["on"]["micro/trace/floor"] = {{"ns_per_event", floor_ns}};
  for (const auto& row : off_rows) {
    const std::string& name = on_row_of.at(row);
    double ns_on = ns_per_op(on, name), ns_off = median(off[row]);
    double events = on.at(name).value("events_per_op", 0.0);
    std::string cost = events > 0 ? fmt::format("{:.2f} ns per event", (ns_on - ns_off) / events)
                                  : std::string("no event per operation: on costs the flag only");
    std::cout << fmt::format("{:<32} {:.3f} ns per op on, {:.3f} off, {:.2f} events per op: {}\n",
                             name, ns_on, ns_off, events, cost);
    report["on"][name] = {
        {"ns_per_op_on", ns_on}, {"ns_per_op_off_median", ns_off}, {"events_per_op", events}};
    if (events > 0) report["on"][name]["ns_per_event"] = (ns_on - ns_off) / events;
  }
  if (!o.json_path.empty()) {
    std::ofstream out(o.json_path);
    out << report.dump(2) << "\n";
    if (!out) throw std::runtime_error("cannot write " + o.json_path);
  }
  return 0;
}

}  // namespace cmbench
