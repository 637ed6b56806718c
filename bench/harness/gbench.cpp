#include "gbench.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <exception>

#include "models/core/usage.hpp"

namespace cmbench {
namespace {

void run_cell(benchmark::State& state, const Cell& cell) {
  if (cell.beyond_limit()) {
    state.SkipWithError(cell.limit_note().c_str());
    return;
  }
  Run run;
  try {
    run = cell.impl->prepare(cell.params);
  } catch (const std::exception& e) {
    state.SkipWithError((std::string("set-up failed: ") + e.what()).c_str());
    return;
  }
  Usage total;
  std::uint64_t tasks = 0, peak = UINT64_MAX;
  for (auto _ : state) {
    Usage before = Usage::now();
    Check check;
    try {
      check = run();
    } catch (const std::exception& e) {
      state.SkipWithError((std::string("exception: ") + e.what()).c_str());
      break;
    }
    Usage after = Usage::now();
    state.PauseTiming();
    Verdict v = check();
    check = nullptr;  // free the result while the timer is paused
    if (!v.ok) {
      state.SkipWithError(("verification: " + v.why).c_str());
      break;
    }
    total += after - before;
    tasks += v.tasks;
    peak = std::min(peak, v.peak_in_flight);
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
}

}  // namespace

void register_benchmarks(const std::vector<Cell>& cells) {
  for (const auto& cell : cells) {
    benchmark::RegisterBenchmark(cell.name().c_str(),
                                 [cell](benchmark::State& s) { run_cell(s, cell); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace cmbench
