#include "suite.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "environment.hpp"
#include "spawn.hpp"

namespace cmbench {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

volatile std::sig_atomic_t interrupted = 0;
void on_interrupt(int) {
  interrupted = 1;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string utc_now(const char* format) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

std::string file_stem(const std::string& cell_name) {
  std::string s = cell_name;
  for (char& c : s)
    if (c == '/')
      c = '-';
    else if (c == ':')
      c = '_';
  return s;
}

// Writes `text` to `path` through a temporary file and a rename: readers see the old file
// or the whole new one, never a part.
void write_atomically(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
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

// What became of one cell's process: its status, the reason when not ok, and the Google
// Benchmark entries it wrote (or one error entry standing for them).
struct CellOutcome {
  std::string status;  // ok, failed, crashed, timeout
  std::string reason;
  std::vector<json> entries;
  json context;
};

CellOutcome classify(const Spawned& s, double limit, const fs::path& log,
                     const fs::path& out_json) {
  CellOutcome v;
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
    std::string last = tail_of(log, 1);
    while (!last.empty() && last.back() == '\n') last.pop_back();
    v.reason = describe_status(s.status) + (last.empty() ? "" : ": " + last);
    v.entries.clear();
  }
  return v;
}

json model_json(const ModelInfo& m) {
  return {{"name", m.name},
          {"style", m.style},
          {"idiom", m.idiom},
          {"concurrent", m.concurrent},
          {"parallel", m.parallel},
          {"max_tasks", m.max_tasks == unlimited_tasks ? json(nullptr) : json(m.max_tasks)},
          {"limit_reason", m.limit_reason},
          {"reference", m.reference}};
}

json workload_json(const Workload& w) {
  static const char* kinds[] = {"integer", "duration", "list", "choice"};
  json params = json::array();
  for (const auto& p : w.params)
    params.push_back({{"name", p.name},
                      {"kind", kinds[static_cast<int>(p.kind)]},
                      {"default", p.default_text},
                      {"help", p.help}});
  json metrics = json::array();
  for (const auto& m : w.metrics)
    metrics.push_back({{"name", m.name},
                       {"title", m.title},
                       {"unit", m.unit},
                       {"lower_is_better", m.lower_is_better},
                       {"chart", m.chart},
                       {"ratio_to", m.ratio_to}});
  return {{"name", w.name},       {"title", w.title},
          {"summary", w.summary}, {"scale_param", w.scale_param},
          {"params", params},     {"metrics", metrics}};
}

// A Google Benchmark-shaped entry for a cell that produced no entries of its own.
json error_entry(const std::string& cell, int repetitions, const std::string& reason) {
  return {{"name", cell + "/real_time"},
          {"run_name", cell + "/real_time"},
          {"run_type", "iteration"},
          {"repetitions", repetitions},
          {"repetition_index", 0},
          {"threads", 1},
          {"iterations", 0},
          {"real_time", 0},
          {"cpu_time", 0},
          {"time_unit", "ms"},
          {"error_occurred", true},
          {"error_message", reason}};
}

// ---- What the suite expects to take ------------------------------------------------------
// For the ETA and the estimate printed before a run; never used as a result. Calibrated on
// this 2-vCPU VM against the seconds measured per cell (kept beside each estimate in
// results.json, `expected_s`), so that a drift shows at the end of every run.

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
double micro_seconds(double min_time, int reps) {
  constexpr int short_rows = 24, long_rows = 6;
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

}  // namespace

std::string clock_text(double seconds) {
  auto total = static_cast<long>(seconds + 0.5);
  if (total >= 3600)
    return fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60);
  return fmt::format("{}:{:02}", total / 60, total % 60);
}

SuiteOutcome run_suite(const Catalog& catalog, const SuiteOptions& o) {
  const bool quick = o.profile == Profile::quick;
  const int reps = o.repetitions > 0 ? o.repetitions : (quick ? 3 : 10);
  const double min_time = o.min_time_s > 0 ? o.min_time_s : (quick ? 0.05 : 0.5);
  const auto cells = catalog.select(o.profile, o.workloads, o.models);
  if (cells.empty()) throw BadInput("no cell matches the selection");

  const std::string stamp = utc_now("%Y%m%d-%H%M%S");
  fs::create_directories(o.out);
  fs::path partial = o.out / (".partial-" + stamp);
  fs::remove_all(partial);
  fs::create_directories(partial / "logs");

  struct sigaction sa {
  }, old_int{}, old_term{};
  sa.sa_handler = on_interrupt;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  interrupted = 0;
  struct Restore {
    struct sigaction a, b;
    ~Restore() {
      sigaction(SIGINT, &a, nullptr);
      sigaction(SIGTERM, &b, nullptr);
    }
  } restore{old_int, old_term};

  const bool live = o.progress && isatty(STDERR_FILENO);
  const auto t0 = std::chrono::steady_clock::now();
  // Repetitions per cell: the profile's count, fewer (at least 3) for cells so long that the
  // count would take more than a minute; an explicit --repetitions is taken as given.
  auto reps_for = [&](const Cell& c) {
    if (o.repetitions > 0) return reps;
    double one = std::max(min_time, c.estimate_seconds());
    return std::clamp(static_cast<int>(60.0 / one), std::min(3, reps), reps);
  };
  auto expected = [&](const Cell& c) {
    return cell_seconds(c.estimate_seconds(), min_time, reps_for(c));
  };
  double expected_left = 0;
  std::size_t to_run = 0;
  for (const auto& c : cells) {
    if (c.beyond_limit()) continue;
    expected_left += expected(c);
    ++to_run;
  }
  double expected_done = 0, actual_done = 0;

  SuiteOutcome outcome;
  outcome.expected_cells_s = expected_left;
  outcome.expected_micro_s = o.micro ? micro_seconds(min_time, reps) : 0;
  // One traced run per workload and implementation, at the workload's traced scale.
  std::vector<Cell> traced;
  for (const auto& c : cells) {
    bool seen = false;
    for (const auto& t : traced) seen = seen || t.impl == c.impl;
    if (seen || !o.timelines) continue;
    const Workload& w = c.workload();
    Cell t{c.impl, w.traced.items().empty() ? w.smallest : w.traced};
    if (t.impl->not_applicable && !t.impl->not_applicable(t.params).empty()) continue;
    if (!t.beyond_limit()) traced.push_back(t);
  }
  for (const auto& t : traced) outcome.expected_timelines_s += timeline_seconds(t);
  outcome.expected_report_s =
      o.report_script.empty() ? 0 : report_seconds(cells.size()) + chart_seconds(traced.size());
  std::cerr << fmt::format(
      "{} profile: {} cells ({} beyond a model's limit, listed, not run), {} repetitions of at "
      "least {} s\nexpected: about {} on an idle machine (cells {}{}{}{})\n",
      profile_name(o.profile), cells.size(), cells.size() - to_run, reps, min_time,
      clock_text(outcome.expected_s()), clock_text(outcome.expected_cells_s),
      o.micro ? ", micro-benchmarks " + clock_text(outcome.expected_micro_s) : "",
      traced.empty() ? "" : ", timelines " + clock_text(outcome.expected_timelines_s),
      o.report_script.empty() ? "" : ", report " + clock_text(outcome.expected_report_s));
  json benchmarks = json::array(), cell_rows = json::array(), context;
  // The cells' processes inherit the commit rather than each running git (environment.cpp).
  setenv("CMBENCH_COMMIT", describe_commit().c_str(), 1);
  const Environment env = environment();
  if (double load = 0;
      (std::ifstream("/proc/loadavg") >> load) && load > 0.5 * std::thread::hardware_concurrency())
    std::cerr << fmt::format(
        "warning: the load average is {:.2f} on {} CPUs: other work competes with the cells, "
        "and parallel speed-ups will be understated\n",
        load, std::thread::hardware_concurrency());

  for (std::size_t i = 0; i < cells.size() && !interrupted; ++i) {
    const Cell& cell = cells[i];
    const std::string name = cell.name();
    json row = {{"name", name},
                {"workload", cell.workload().name},
                {"model", cell.model().name},
                {"variant", cell.impl->variant},
                {"label", cell.impl->label()},
                {"params", json::object()},
                {"status", "ok"},
                {"reason", ""},
                {"seconds", 0.0},
                {"expected_s", 0.0},
                {"log", ""}};
    for (const auto& [k, v] : cell.params.items()) row["params"][k] = v;

    auto progress = [&] {
      if (!live) return;
      double ratio = expected_done > 0 ? actual_done / expected_done : 1.0;
      std::cerr << fmt::format("\r\033[K[{:>3}/{}] {} elapsed, ETA {}  {}", i + 1, cells.size(),
                               clock_text(seconds_since(t0)),
                               clock_text(std::max(0.0, expected_left * ratio) +
                                          outcome.expected_micro_s + outcome.expected_report_s),
                               name)
                << std::flush;
    };

    if (cell.beyond_limit()) {
      row["status"] = "beyond_limit";
      row["reason"] = cell.limit_note();
      ++outcome.beyond_limit;
    } else {
      const fs::path log = partial / "logs" / (file_stem(name) + ".log");
      const fs::path out_json = partial / "logs" / (file_stem(name) + ".json");
      const int cell_reps = reps_for(cell);
      row["repetitions"] = cell_reps;
      row["expected_s"] = expected(cell);
      const double limit = o.timeout_s > 0
                               ? o.timeout_s
                               : 30 + cell_reps * 4 * std::max(min_time, cell.estimate_seconds());
      std::vector<std::string> argv = {o.executable.string(),
                                       fmt::format("--timer-slack-ns={}", o.timer_slack_ns),
                                       "run",
                                       "--cell=" + name,
                                       fmt::format("--benchmark_repetitions={}", cell_reps),
                                       fmt::format("--benchmark_min_time={}", min_time),
                                       "--benchmark_display_aggregates_only=true",
                                       "--benchmark_out=" + out_json.string(),
                                       "--benchmark_out_format=json"};
      auto started = std::chrono::steady_clock::now();
      progress();
      Spawned s = spawn_and_wait(argv, log, limit, [&] {
        progress();
        return interrupted != 0;
      });
      double took = seconds_since(started);
      row["seconds"] = took;
      row["log"] = fs::relative(log, partial).string();
      expected_left -= expected(cell);
      expected_done += expected(cell);
      actual_done += took;
      if (interrupted) break;

      CellOutcome v = classify(s, limit, log, out_json);
      row["status"] = v.status;
      row["reason"] = v.reason;
      for (auto& b : v.entries) benchmarks.push_back(std::move(b));
      if (context.is_null() && !v.context.is_null()) context = std::move(v.context);
      ++(v.status == "ok"        ? outcome.ok
         : v.status == "failed"  ? outcome.failed
         : v.status == "timeout" ? outcome.timeout
                                 : outcome.crashed);
      if (row["status"] == "timeout" || row["status"] == "crashed")
        benchmarks.push_back(error_entry(name, cell_reps, row["reason"]));
      fs::remove(out_json);
    }
    if (live) std::cerr << "\r\033[K";
    if (!live || row["status"] != "ok")
      std::cerr << fmt::format(
          "[{:>3}/{}] {:<12} {:>6.1f}s  {}{}\n", i + 1, cells.size(),
          row["status"].get<std::string>(), row["seconds"].get<double>(), name,
          row["reason"] == "" ? "" : "\n          " + row["reason"].get<std::string>());
    cell_rows.push_back(row);
  }

  // The runtimes' micro-benchmarks, in one process of their own: each operation beside its
  // floor and its peer, so that the report's ratios come from this same run.
  outcome.cells_s = seconds_since(t0);
  json micro = {{"status", "not run"}, {"reason", ""}};
  if (o.micro && !interrupted) {
    const auto micro_t0 = std::chrono::steady_clock::now();
    const fs::path log = partial / "logs" / "micro.log", out_json = partial / "logs" / "micro.json";
    const double limit = 600;
    std::vector<std::string> argv = {o.executable.string(),
                                     fmt::format("--timer-slack-ns={}", o.timer_slack_ns),
                                     "micro",
                                     fmt::format("--benchmark_repetitions={}", reps),
                                     fmt::format("--benchmark_min_time={}", min_time),
                                     "--benchmark_display_aggregates_only=true",
                                     "--benchmark_out=" + out_json.string(),
                                     "--benchmark_out_format=json"};
    if (live) std::cerr << "\r\033[K[micro] runtime micro-benchmarks" << std::flush;
    Spawned s = spawn_and_wait(argv, log, limit, [] { return interrupted != 0; });
    if (live) std::cerr << "\r\033[K";
    CellOutcome m = classify(s, limit, log, out_json);
    outcome.micro_s = seconds_since(micro_t0);
    micro = {{"status", m.status},
             {"reason", m.reason},
             {"log", "logs/micro.log"},
             {"seconds", outcome.micro_s},
             {"expected_s", outcome.expected_micro_s}};
    for (auto& b : m.entries) benchmarks.push_back(std::move(b));
    fs::remove(out_json);
    if (m.status != "ok") {
      outcome.micro_failed = true;
      std::cerr << "micro-benchmarks: " << m.status << ": " << m.reason << "\n";
    }
  }

  // Timelines: one more verified run of each implementation, recorded (never timed: the
  // recorder costs ≈ 30 ns per event), each in its own process like the cells. The JSON
  // stays in timelines/ for Perfetto; the report draws the charts.
  json timelines = json::array();
  if (!traced.empty() && !interrupted) {
    const auto timelines_t0 = std::chrono::steady_clock::now();
    fs::create_directories(partial / "timelines");
    for (std::size_t i = 0; i < traced.size() && !interrupted; ++i) {
      const Cell& cell = traced[i];
      const std::string name = cell.name();
      const fs::path json_path = partial / "timelines" / (file_stem(name) + ".json");
      const fs::path log = partial / "logs" / ("timeline-" + file_stem(name) + ".log");
      if (live)
        std::cerr << fmt::format("\r\033[K[timeline {:>2}/{}] {}", i + 1, traced.size(), name)
                  << std::flush;
      const double limit = 30 + 4 * timeline_seconds(cell);
      Spawned s = spawn_and_wait(
          {o.executable.string(), fmt::format("--timer-slack-ns={}", o.timer_slack_ns), "run",
           "--cell=" + name, "--trace=" + json_path.string()},
          log, limit, [] { return interrupted != 0; });
      json row = {{"workload", cell.workload().name},
                  {"label", cell.impl->label()},
                  {"cell", name},
                  {"json", fs::relative(json_path, partial).string()},
                  {"log", fs::relative(log, partial).string()},
                  {"status", "ok"},
                  {"reason", ""}};
      if (s.timed_out || !WIFEXITED(s.status) || WEXITSTATUS(s.status) != 0 ||
          !fs::exists(json_path)) {
        std::string last = tail_of(log, 1);
        while (!last.empty() && last.back() == '\n') last.pop_back();
        row["status"] = "failed";
        row["reason"] = s.timed_out ? fmt::format("timeout after {:.0f} s", limit)
                                    : describe_status(s.status) + (last.empty() ? "" : ": " + last);
        ++outcome.timelines_failed;
        if (live) std::cerr << "\r\033[K";
        std::cerr << fmt::format("[timeline] failed: {}\n          {}\n", name,
                                 row["reason"].get<std::string>());
      }
      timelines.push_back(row);
    }
    if (live) std::cerr << "\r\033[K";
    outcome.timelines_s = seconds_since(timelines_t0);
  }

  if (interrupted) {
    fs::remove_all(partial);
    outcome.interrupted = true;
    return outcome;
  }

  if (context.is_null()) context = {{"date", utc_now("%Y-%m-%dT%H:%M:%S+00:00")}};
  for (const auto& [k, v] : env) context[k] = v;
  json models = json::array(), workloads = json::array();
  for (const auto* m : catalog.models()) models.push_back(model_json(*m));
  for (const auto& w : catalog.workloads())
    if (o.workloads.empty() ||
        std::find(o.workloads.begin(), o.workloads.end(), w->name) != o.workloads.end())
      workloads.push_back(workload_json(*w));
  json results = {{"context", context},
                  {"benchmarks", benchmarks},
                  {"cmbench",
                   {{"profile", profile_name(o.profile)},
                    {"repetitions", reps},
                    {"min_time_s", min_time},
                    {"started", stamp},
                    {"finished", utc_now("%Y%m%d-%H%M%S")},
                    {"duration_s", seconds_since(t0)},
                    {"expected_s", outcome.expected_cells_s + outcome.expected_micro_s},
                    {"models", models},
                    {"workloads", workloads},
                    {"cells", cell_rows},
                    {"micro", micro},
                    {"timelines", timelines}}}};
  write_atomically(partial / "results.json", results.dump(1));

  if (!o.report_script.empty()) {
    const auto report_t0 = std::chrono::steady_clock::now();
    std::vector<std::string> argv = {"/usr/bin/python3", o.report_script.string(),
                                     partial.string()};
    Spawned s = spawn_and_wait(argv, partial / "summary.txt", 600);
    if (s.timed_out || !WIFEXITED(s.status) || WEXITSTATUS(s.status) != 0) {
      outcome.report_failed = true;
      std::cerr << "report: the report script "
                << (s.timed_out ? std::string("timed out") : describe_status(s.status)) << "\n"
                << tail_of(partial / "summary.txt", 20);
    }
    outcome.report_s = seconds_since(report_t0);
  }

  fs::path final_dir = o.out / stamp;
  for (int n = 2; fs::exists(final_dir); ++n) final_dir = o.out / fmt::format("{}-{}", stamp, n);
  fs::rename(partial, final_dir);
  fs::path link = o.out / "latest", tmp_link = o.out / ".latest.tmp";
  fs::remove(tmp_link);
  fs::create_directory_symlink(final_dir.filename(), tmp_link);
  fs::rename(tmp_link, link);
  outcome.run_dir = final_dir;
  outcome.seconds = seconds_since(t0);
  return outcome;
}

}  // namespace cmbench
