// run_suite in its four steps: plan (suite_plan), run each cell in its child (suite_child),
// write the results (suite_results), publish the run (suite_publish). This file holds what
// ties them together: the partial directory, the interrupt, the progress line.
#include "suite.hpp"

#include <signal.h>
#include <unistd.h>

#include <fmt/core.h>
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <optional>
#include <thread>
#include <utility>

#include "leftovers.hpp"
#include "process_tuning.hpp"
#include "recorded_environment.hpp"
#include "speed_probe.hpp"
#include "suite_child.hpp"
#include "suite_hosts.hpp"
#include "suite_plan.hpp"
#include "suite_publish.hpp"
#include "suite_results.hpp"

namespace cmbench {
namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

volatile std::sig_atomic_t interrupted = 0;
void on_interrupt(int) {
  interrupted = 1;
}
bool interrupt_requested() {
  return interrupted != 0;
}

// While it lives, SIGINT and SIGTERM ask the suite to stop (`interrupted`); it puts the
// previous handlers back when it goes.
class InterruptHandlers {
 public:
  InterruptHandlers() {
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
    interrupted = 0;
  }
  ~InterruptHandlers() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  InterruptHandlers(const InterruptHandlers&) = delete;
  InterruptHandlers& operator=(const InterruptHandlers&) = delete;

 private:
  struct sigaction old_int_ = {};
  struct sigaction old_term_ = {};
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The live progress line on a terminal. Its ETA is the cells' expected time left, scaled by
// how long the cells done so far took against their estimates, plus what follows them.
struct Progress {
  bool live = false;
  Clock::time_point t0;
  std::size_t cells = 0;
  double expected_left = 0, expected_done = 0, actual_done = 0, after_cells = 0;

  void show(std::size_t i, const std::string& name) const {
    if (!live) return;
    double ratio = expected_done > 0 ? actual_done / expected_done : 1.0;
    std::cerr << fmt::format("\r\033[K[{:>3}/{}] {} elapsed, ETA {}  {}", i + 1, cells,
                             clock_text(seconds_since(t0)),
                             clock_text(std::max(0.0, expected_left * ratio) + after_cells), name)
              << std::flush;
  }
  void cell_done(double expected, double took) {
    expected_left -= expected;
    expected_done += expected;
    actual_done += took;
  }
  void clear() const {
    if (live) std::cerr << "\r\033[K";
  }
};

Progress progress_of(const SuitePlan& plan, const SuiteOptions& o, Clock::time_point t0) {
  Progress p;
  p.live = o.progress && isatty(STDERR_FILENO);
  p.t0 = t0;
  p.cells = plan.cells.size();
  p.expected_left = plan.expected_cells_s;
  p.after_cells = plan.expected_micro_s + plan.expected_report_s;
  return p;
}

// Warns (stderr) when other work already loads the machine.
void warn_if_loaded() {
  const unsigned cpus = std::thread::hardware_concurrency();
  if (double load = 0; (std::ifstream("/proc/loadavg") >> load) && load > 0.5 * cpus)
    std::cerr << fmt::format(
        "warning: the load average is {:.2f} on {} CPUs: other work competes with the cells, "
        "and parallel speed-ups will be understated\n",
        load, cpus);
}

void count(SuiteOutcome& outcome, const std::string& status) {
  ++(status == "ok"        ? outcome.ok
     : status == "failed"  ? outcome.failed
     : status == "timeout" ? outcome.timeout
                           : outcome.crashed);
}

// What else the machine was doing as a cell began: the 1-minute load average (the suite's
// own earlier cells count in it) and the tasks other than this one ready to run now.
void record_load(json& row) {
  if (double load = 0; std::ifstream("/proc/loadavg") >> load) row["loadavg"] = load;
  std::ifstream stat("/proc/stat");
  for (std::string key; stat >> key;) {
    if (long running = 0; key == "procs_running" && stat >> running) {
      row["others_running"] = std::max(0L, running - 1);
      break;
    }
    stat.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
}

// Runs cell `i` of the plan in its child process (or lists it, beyond its model's limit) and
// returns its row; its Google Benchmark entries join the record.
json run_cell(const SuitePlan& plan, std::size_t i, const SuiteOptions& o, const fs::path& partial,
              RunRecord& record, SuiteOutcome& outcome, Progress& progress, Leftovers& leftovers) {
  const PlannedCell& planned = plan.cells[i];
  const Cell& cell = planned.cell;
  const bool one = planned.budget == CpuBudget::one;
  json row = cell_row(cell);
  row["cpu_budget"] = budget_name(planned.budget);
  row["cpus"] = one ? 1 : plan.cpus.size();
  row["cpu_list"] = one ? std::to_string(plan.one_cpu) : cpu_list_text(plan.cpus);
  if (cell.beyond_limit()) {
    row["status"] = "beyond_limit";
    row["reason"] = cell.limit_note();
    ++outcome.beyond_limit;
    return row;
  }
  if (const std::string why = cell.unavailable(); !why.empty()) {
    row["status"] = "unavailable";
    row["reason"] = why;
    ++outcome.unavailable;
    return row;
  }
  const std::string name = cell.name(), title = planned.title();
  const std::string stem = file_stem(name) + (one ? "-1cpu" : "");
  const fs::path log = partial / "logs" / (stem + ".log");
  const fs::path out_json = partial / "logs" / (stem + ".json");
  const int reps = plan.repetitions_for(planned);
  row["repetitions"] = reps;
  row["expected_s"] = plan.expected_seconds(planned);
  record_load(row);
  const auto started = Clock::now();
  progress.show(i, title);
  auto tick = [&] {
    progress.show(i, title);
    return interrupt_requested();
  };
  std::vector<std::string> command{"run", "--cell=" + name};
  if (one) command.insert(command.begin(), fmt::format("--confine-to-cpu={}", plan.one_cpu));
  ChildOutcome v = run_benchmark_child(o, command, reps, plan.min_time, log, out_json,
                                       plan.time_limit(planned), tick);
  const double took = seconds_since(started);
  row["seconds"] = took;
  row["log"] = fs::relative(log, partial).string();
  progress.cell_done(plan.expected_seconds(planned), took);
  if (interrupted) return row;
  if (const std::string left = leftovers.collect(); !left.empty())
    fail_outcome(v, "leak: once its process ended, the cell left " + left);
  if (const std::string why = one ? left_its_cpu(v.entries) : ""; !why.empty())
    fail_outcome(v, why);
  row["status"] = v.status;
  row["reason"] = v.reason;
  for (auto& b : v.entries) {
    if (one) b["cpu_budget"] = "one";
    record.benchmarks.push_back(std::move(b));
  }
  if (record.context.is_null() && !v.context.is_null()) record.context = std::move(v.context);
  count(outcome, v.status);
  if (v.status == "timeout" || v.status == "crashed") {
    json e = error_entry(name, reps, v.reason);
    if (one) e["cpu_budget"] = "one";
    record.benchmarks.push_back(std::move(e));
  }
  return row;
}

void run_cells(const SuitePlan& plan, const SuiteOptions& o, const fs::path& partial,
               RunRecord& record, SuiteOutcome& outcome, Progress& progress, Leftovers& leftovers) {
  // The speed probe between two cells is the first one's `after` and the next one's
  // `before` (speed_probe.hpp).
  double probe = probe_speed();
  for (std::size_t i = 0; i < plan.cells.size() && !interrupted; ++i) {
    json row = run_cell(plan, i, o, partial, record, outcome, progress, leftovers);
    if (interrupted) break;
    if (row["status"] != "beyond_limit" && row["status"] != "unavailable") {
      const double before = std::exchange(probe, probe_speed());
      row["probe"] = {{"before_s", before}, {"after_s", probe}};
    }
    progress.clear();
    if (!progress.live || row["status"] != "ok")
      std::cerr << fmt::format(
          "[{:>3}/{}] {:<12} {:>6.1f}s  {}{}\n", i + 1, plan.cells.size(),
          row["status"].get<std::string>(), row["seconds"].get<double>(), plan.cells[i].title(),
          row["reason"] == "" ? "" : "\n          " + row["reason"].get<std::string>());
    record.cells.push_back(row);
  }
}

// The runtimes' micro-benchmarks, in one process of their own: each operation beside its
// floor and its peer, so that the report's ratios come from this same run.
void run_micro(const SuitePlan& plan, const SuiteOptions& o, const fs::path& partial,
               RunRecord& record, SuiteOutcome& outcome, const Progress& progress,
               Leftovers& leftovers) {
  const auto t0 = Clock::now();
  if (progress.live) std::cerr << "\r\033[K[micro] runtime micro-benchmarks" << std::flush;
  const fs::path log = partial / "logs" / "micro.log", out_json = partial / "logs" / "micro.json";
  std::vector<std::string> command{"micro"};
  if (!plan.micro_filter.empty()) command.push_back("--benchmark_filter=" + plan.micro_filter);
  ChildOutcome m = run_benchmark_child(o, command, plan.repetitions, plan.min_time, log, out_json,
                                       600, interrupt_requested);
  if (const std::string left = leftovers.collect(); !left.empty())
    fail_outcome(m, "leak: once its process ended, it left " + left);
  progress.clear();
  outcome.micro_s = seconds_since(t0);
  record.micro = {{"status", m.status},
                  {"reason", m.reason},
                  {"log", "logs/micro.log"},
                  {"seconds", outcome.micro_s},
                  {"expected_s", outcome.expected_micro_s}};
  for (auto& b : m.entries) record.benchmarks.push_back(std::move(b));
  if (m.status != "ok") {
    outcome.micro_failed = true;
    std::cerr << "micro-benchmarks: " << m.status << ": " << m.reason << "\n";
  }
}

// Timelines: one more verified run of each implementation, recorded (never timed: the
// recorder costs ≈ 30 ns per event), each in its own process like the cells. The JSON
// stays in timelines/ for Perfetto; the report draws the charts.
void run_timelines(const SuitePlan& plan, const SuiteOptions& o, const fs::path& partial,
                   RunRecord& record, SuiteOutcome& outcome, const Progress& progress,
                   Leftovers& leftovers) {
  const auto t0 = Clock::now();
  fs::create_directories(partial / "timelines");
  for (std::size_t i = 0; i < plan.traced.size() && !interrupted; ++i) {
    const Cell& cell = plan.traced[i];
    const std::string name = cell.name();
    const fs::path trace = partial / "timelines" / (file_stem(name) + ".json");
    const fs::path log = partial / "logs" / ("timeline-" + file_stem(name) + ".log");
    if (progress.live)
      std::cerr << fmt::format("\r\033[K[timeline {:>2}/{}] {}", i + 1, plan.traced.size(), name)
                << std::flush;
    std::string why =
        run_traced_child(o, name, trace, log, plan.timeline_limit(cell), interrupt_requested);
    if (const std::string left = leftovers.collect(); !left.empty())
      why += (why.empty() ? "" : "; ") + ("leak: once its process ended, it left " + left);
    json row = timeline_row(cell, trace, log, partial);
    if (!why.empty()) {
      row["status"] = "failed";
      row["reason"] = why;
      ++outcome.timelines_failed;
      progress.clear();
      std::cerr << fmt::format("[timeline] failed: {}\n          {}\n", name, why);
    }
    record.timelines.push_back(row);
  }
  progress.clear();
  outcome.timelines_s = seconds_since(t0);
}

}  // namespace

std::string clock_text(double seconds) {
  auto total = static_cast<long>(seconds + 0.5);
  if (total >= 3600)
    return fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60);
  return fmt::format("{}:{:02}", total / 60, total % 60);
}

std::string file_stem(const std::string& cell_name) {
  std::string s = cell_name;
  for (char& c : s) c = (c == '/') ? '-' : (c == ':') ? '_' : c;
  return s;
}

SuiteOutcome run_suite(const Catalog& catalog, const SuiteOptions& o) {
  const SuitePlan plan = plan_suite(catalog, o);
  RunRecord record;
  record.started = utc_now("%Y%m%d-%H%M%S");
  const fs::path partial = claim_partial(o.out, record.started);
  const InterruptHandlers handlers;

  SuiteOutcome outcome;
  outcome.expected_cells_s = plan.expected_cells_s;
  outcome.expected_micro_s = plan.expected_micro_s;
  outcome.expected_timelines_s = plan.expected_timelines_s;
  outcome.expected_report_s = plan.expected_report_s;
  const auto t0 = Clock::now();
  Progress progress = progress_of(plan, o, t0);
  print_plan(plan, o);
  // The cells' processes inherit the commit rather than each running git
  // (recorded_environment.cpp).
  setenv("CMBENCH_COMMIT", describe_commit().c_str(), 1);
  const Environment env = environment();
  warn_if_loaded();

  // The hosts of the cells across links, up while the cells run.
  std::vector<Cell> cells;
  for (const auto& planned : plan.cells) cells.push_back(planned.cell);
  std::optional<SuiteHosts> hosts(std::in_place, cells);
  record.hosts = hosts->record();
  // The orphans and temporary files of every child (cell, micro, timeline), checked after each.
  std::optional<Leftovers> leftovers(std::in_place);
  run_cells(plan, o, partial, record, outcome, progress, *leftovers);
  outcome.cells_s = seconds_since(t0);
  hosts.reset();
  if (o.micro && !interrupted) run_micro(plan, o, partial, record, outcome, progress, *leftovers);
  if (!plan.traced.empty() && !interrupted)
    run_timelines(plan, o, partial, record, outcome, progress, *leftovers);
  leftovers.reset();  // the report script runs with the user's TMPDIR
  if (interrupted) {
    fs::remove_all(partial);
    outcome.interrupted = true;
    return outcome;
  }

  try {
    write_results(partial, record, catalog, o, plan, env, seconds_since(t0));
    if (!o.report_script.empty()) {
      const auto report_t0 = Clock::now();
      outcome.report_failed = !write_report(o.report_script, partial);
      outcome.report_s = seconds_since(report_t0);
    }
    outcome.run_dir = publish_run(partial, o.out);
  } catch (const std::exception& e) {
    // A full disk, say: what was written is incomplete and holds the space; the runs before
    // and `latest` were never touched.
    std::error_code ignored;
    fs::remove_all(partial, ignored);
    throw std::runtime_error(std::string(e.what()) + "; this run was not kept (" + o.out.string() +
                             "'s earlier runs and latest are as they were)");
  }
  outcome.seconds = seconds_since(t0);
  return outcome;
}

}  // namespace cmbench
