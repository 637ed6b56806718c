#include "spec.hpp"

#include <algorithm>
#include <numeric>
#include <string>

#include "models/coroutines/info.hpp"
#include "workloads/workload_cells.hpp"

namespace cmbench::sleep_fanout {
namespace {

ParamValues at(const std::string& n, const std::string& d, const std::string& w = "1") {
  return ParamValues({{"N", n}, {"d", d}, {"w", w}});
}

}  // namespace

Workload describe() {
  Workload w;
  w.name = "sleep_fanout";
  w.title = "N tasks each wait d";
  w.summary =
      "Each task only waits. One after another the tasks take N·d; any concurrent model "
      "should take about d, whatever N, until starting a task costs more than the wait. "
      "The w=2-3-1 rows are the classic example: waits of 2, 3 and 1 units take 6 units "
      "sequentially and 3 units concurrently.";
  w.params = {
      {"N", ParamKind::integer, "100", "number of tasks", 1, 10'000'000},
      {"d", ParamKind::duration, "10ms", "unit wait of each task", 1, 60'000'000},
      {"w", ParamKind::list, "1", "wait weights: task i waits d*w[i mod |w|]", 1, 1000},
  };
  w.scale_param = "N";
  w.scales = [](Profile p) {
    std::vector<ParamValues> s;
    if (p == Profile::quick) {
      // Full's scales that show the point at a cost the quick run can pay: 100 waits of
      // 10 ms (the default; sequentially 1 s) and 10^5 for the models that hold them (what
      // a waiting task costs). 1 000 waits of 1 ms cost 17 s more (1 000 forks a run).
      for (auto n : {"100", "100000"}) s.push_back(at(n, "10ms"));
      return s;
    }
    if (p == Profile::full) {
      // The curve at d = 10 ms, a decade a point, the source example, and 1 000 waits of
      // 1 ms, where a model's cost per task is a tenth of the wait rather than a hundredth.
      for (auto n : {"3", "100", "1000", "10000", "100000", "1000000"}) s.push_back(at(n, "10ms"));
      s.push_back(at("1000", "1ms"));
      s.push_back(at("3", "100ms", "2-3-1"));
      return s;
    }
    for (auto d : {"1ms", "10ms"})
      for (auto n : {"3", "100", "1000", "10000", "100000", "1000000"}) s.push_back(at(n, d));
    s.push_back(at("3", "100ms", "2-3-1"));  // the source example, units of 100 ms
    return s;
  };
  // Waits of 50 ms: long enough that each task starts before the one before it has finished
  // waiting in every model, a forked Python interpreter included (≈ 20 ms to fork here).
  w.smallest = at("3", "50ms");
  w.traced = at("3", "50ms", "2-3-1");  // the source example, in units of 50 ms
  w.tasks = [](const ParamValues& v) { return static_cast<std::uint64_t>(v.integer("N")); };
  w.estimate_seconds = [](const ParamValues& v, const ModelInfo& m) {
    auto waits = make_params(v).waits;
    double total = 0, longest = 0;
    for (auto d : waits) {
      total += d.count() * 1e-6;
      longest = std::max(longest, d.count() * 1e-6);
    }
    return (m.concurrent ? longest : total) + waits.size() * m.task_start_us * 1e-6;
  };
  return w;
}

Params make_params(const ParamValues& v) {
  auto n = static_cast<std::size_t>(v.integer("N"));
  auto d = v.duration("d");
  auto w = v.list("w");
  Params p;
  p.waits.reserve(n);
  for (std::size_t i = 0; i < n; ++i) p.waits.push_back(d * w[i % w.size()]);
  return p;
}

Verdict verify(const Params& p, const Result& r, const ModelInfo& m) {
  if (r.size() != p.waits.size())
    return Verdict::fail("only " + std::to_string(r.size()) + " of " +
                         std::to_string(p.waits.size()) + " tasks completed");
  for (std::size_t i = 0; i < r.size(); ++i) {
    auto waited = std::chrono::nanoseconds(r[i].length_ns());
    if (waited < p.waits[i])
      return Verdict::fail("task " + std::to_string(i) + " waited " +
                           std::to_string(waited.count() / 1000) + " us, less than its " +
                           std::to_string(p.waits[i].count()) + " us");
  }
  auto peak = peak_overlap(r);
  if (!m.concurrent && peak != 1)
    return Verdict::fail("a sequential model overlapped " + std::to_string(peak) + " tasks");
  if (m.concurrent && r.size() >= 2 && peak < 2)
    return Verdict::fail("the tasks never overlapped (peak 1): they did not run concurrently");
  return {true, "", r.size(), peak};
}

// ---- The cells -----------------------------------------------------------------------------

void register_cells(Catalog& catalog) {
  WorkloadCells cells(catalog, describe(), make_params, verify);
  cells.add_models({sequential, threads, processes, callbacks, futures, coroutines, fibers});
  // Coroutine frames from the frame pool too, so that the report shows what the allocator
  // costs beside the default operator new.
  cells.add(coroutines::info, coroutines_pooled, "pooled");
  cells.add(fibers::info, fibers_shared_stack, "shared-stack");
  register_python(catalog);
}

}  // namespace cmbench::sleep_fanout
