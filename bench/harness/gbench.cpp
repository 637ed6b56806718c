#include "gbench.hpp"

#include <benchmark/benchmark.h>
#include <fmt/core.h>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "holdings.hpp"
#include "models/core/usage.hpp"

namespace cmbench {
namespace {

std::atomic<int> failed_cells{0};

void fail(benchmark::State& state, const std::string& why) {
  ++failed_cells;
  state.SkipWithError(why.c_str());
}

// Runs the cell once and returns its verifier. What run() throws becomes a failed Verdict
// already worded as such; a verifier's own failures are worded by verified() below.
Check run_guarded(const Run& run) {
  try {
    return run();
  } catch (const std::exception& e) {
    return [why = std::string(e.what())] { return Verdict::fail(why, Verdict::Stage::run); };
  }
}

// Verifies, and words a failure by the stage that failed: "exception: ..." for a run that
// threw, "verification: ..." for a wrong result.
Verdict verified(const Check& check) {
  Verdict v = check();
  if (!v.ok) v.why = (v.stage == Verdict::Stage::run ? "exception: " : "verification: ") + v.why;
  return v;
}

// A soft resource limit in words: "256", "1953 MiB", "unlimited".
std::string limit_text(int resource) {
  rlimit l{};
  if (getrlimit(resource, &l) != 0 || l.rlim_cur == RLIM_INFINITY) return "unlimited";
  if (resource == RLIMIT_AS) return std::to_string(l.rlim_cur >> 20) + " MiB";
  return std::to_string(l.rlim_cur);
}

// A run that failed for want of what the system limits (descriptors, threads or processes,
// memory) is beyond its model's limit here, at this scale: the reason says so, with the
// scale and the limits in force, before the system's own words.
std::string worded_as_limit(const Cell& cell, const std::string& why) {
  const std::string out_of[] = {std::strerror(EMFILE), std::strerror(ENFILE), std::strerror(EAGAIN),
                                std::strerror(ENOMEM), "std::bad_alloc"};
  for (const auto& words : out_of) {
    if (why.find(words) == std::string::npos) continue;
    const std::string& scale = cell.workload().scale_param;
    return fmt::format(
        "beyond model limit at {}={} here (open files {}, processes {}, address space {}): {}",
        scale, cell.params.text(scale), limit_text(RLIMIT_NOFILE), limit_text(RLIMIT_NPROC),
        limit_text(RLIMIT_AS), why);
  }
  return why;
}

// Why this process's cell cannot run, worked out before its first timed run: beyond its
// model's limit, a set-up that throws, or a warm-up run that fails; "" when it can. Once
// failed, a cell fails every later repetition with the same reason, without running again.
std::string cannot_run(const Cell& cell, Run& run) {
  static std::map<std::string, std::string> failed;
  if (auto f = failed.find(cell.name()); f != failed.end()) return f->second;
  std::string why;
  if (cell.beyond_limit()) why = cell.limit_note();
  if (why.empty()) why = cell.unavailable();
  if (why.empty()) {
    try {
      run = cell.impl->prepare(cell.params);
    } catch (const std::exception& e) {
      why = std::string("set-up failed: ") + e.what();
    }
  }
  // One untimed warm-up run per cell and process, as pyperf does: lazily started thread
  // pools (TBB starts its workers on first use), first-touch page faults and cold caches are
  // paid here rather than by the first timed run. It is verified like every other run.
  static std::set<std::string> warmed;
  if (why.empty() && warmed.insert(cell.name()).second) {
    if (Verdict v = verified(run_guarded(run)); !v.ok) why = v.why;
  }
  if (!why.empty() && !cell.beyond_limit()) why = worded_as_limit(cell, why);
  if (!why.empty()) failed.emplace(cell.name(), why);
  return why;
}

// One repetition: set-up, its timed runs, each verified. Its Run, and what the cell set up,
// is destroyed on return.
void measure(benchmark::State& state, const Cell& cell) {
  Run run;
  const std::string why = cannot_run(cell, run);
  // A failure is reported from inside the loop, as a failed run is: Google Benchmark then
  // counts the repetition's planned iterations, as for every other repetition (one that fails
  // before its loop counts none, and the mismatch aborts its statistics: a crash that would
  // lose the reason).
  if (!why.empty()) {
    for (auto _ : state) {
      fail(state, why);
      break;
    }
    return;
  }
  Usage total;
  std::uint64_t tasks = 0, peak = 0;
  std::map<std::string, double> metrics;  // summed over the runs
  for (auto _ : state) {
    Usage before = Usage::now();
    Check check = run_guarded(run);
    Usage after = Usage::now();
    state.PauseTiming();
    Verdict v = verified(check);
    check = nullptr;  // free the result while the timer is paused
    if (!v.ok) {
      fail(state, worded_as_limit(cell, v.why));
      break;
    }
    total += after - before;
    tasks += v.tasks;
    peak = std::max(peak, v.peak_in_flight);
    for (const auto& [name, value] : v.metrics) metrics[name] += value;
    state.ResumeTiming();
  }
  if (state.error_occurred() || state.iterations() == 0) return;
  auto runs = static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(tasks));
  state.counters["cpu_util"] = total.wall_ns ? double(total.cpu_ns) / double(total.wall_ns) : 0;
  Usage end = Usage::now();
  state.counters["peak_rss_kib"] = double(end.peak_rss_kib);
  state.counters["child_peak_rss_kib"] = double(end.child_peak_rss_kib);
  state.counters["vol_cs"] = double(total.voluntary_cs) / runs;
  state.counters["invol_cs"] = double(total.involuntary_cs) / runs;
  state.counters["peak_in_flight"] = double(peak);
  state.counters["tasks"] = double(tasks) / runs;
  for (const auto& [name, sum] : metrics) state.counters[name] = sum / runs;
}

// Fails a round of runs (one call of the benchmark function: Google Benchmark makes a few
// to find how many runs fill min_time, then one per repetition) that ended holding more
// descriptors, threads or child processes than the cell's previous round ended with. The
// first round of a process sets the mark, with what the warm-up started for good (TBB's
// workers, a runtime's poller opened on first use): a leak shows from the second round on.
void check_holdings(benchmark::State& state, const Cell& cell) {
  static std::map<std::string, Holdings> ended;
  auto [mark, first] = ended.try_emplace(cell.name());
  if (first) {
    // A thread joined a moment ago can still be listed: let it go before setting the mark.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    mark->second = Holdings::now();
    return;
  }
  Holdings now = settled_holdings(mark->second);
  if (const std::string grown = grown_since(mark->second, now); !grown.empty())
    fail(state, fmt::format("leak: {} runs left {} behind", state.iterations(), grown));
  mark->second = std::move(now);
}

void run_cell(benchmark::State& state, const Cell& cell) {
  measure(state, cell);
  if (!state.error_occurred()) check_holdings(state, cell);
}

}  // namespace

void register_benchmarks(const std::vector<Cell>& cells) {
  for (const auto& cell : cells) {
    auto* b = benchmark::RegisterBenchmark(cell.name().c_str(),
                                           [cell](benchmark::State& s) { run_cell(s, cell); })
                  ->UseRealTime()
                  ->Unit(benchmark::kMillisecond);
    // A row of another runtime (a Python row) starts an interpreter for every run, an MPI row
    // a job, untimed but not free (0.1-0.4 s): one run per repetition, rather than as many as
    // fill min_time.
    const ModelInfo& m = cell.impl->bounds();
    if (!m.twin.empty() || m.program_per_run) b->Iterations(1);
  }
}

int failed_benchmarks() {
  return failed_cells.load();
}

}  // namespace cmbench
