#include "spec.hpp"

#include <string>

#include "models/processes/process.hpp"
#include "workloads/workload_cells.hpp"

namespace cmbench::memory_per_task {
namespace {

ParamValues at(const std::string& n) {
  return ParamValues({{"N", n}});
}

// Kernel memory is read only where a task has some of its own: a thread's kernel stack, a
// process's page tables. For the other models it would be the machine's noise divided by N.
bool has_kernel_share(const ModelInfo& m) {
  return m.name == "threads" || m.name == "processes";
}

}  // namespace

Workload describe() {
  Workload w;
  w.name = "memory_per_task";
  w.title = "N tasks wait on one event: memory per waiting task";
  w.summary =
      "N tasks are alive at once, every one waiting on the same event in the model's own "
      "idiom; the run reads how much memory the process grew by while they all wait, then "
      "sets the event and checks that all N finish. A coroutine frame or a Deferred costs "
      "bytes, a greenlet a parked stack's page or two, a thread its touched stack and a "
      "kernel stack, a process its page tables and every page it writes.";
  w.params = {
      {"N", ParamKind::integer, "1000", "number of tasks waiting at once", 1, 10'000'000},
  };
  w.scale_param = "N";
  w.scales = [](Profile p) {
    // Quick: 100 tasks, where a fork per task still costs well under a second a run (10^3
    // children alive at once take ≈ 2.5 s here); RSS is read in pages, so a figure at
    // N = 100 is good to ≈ 40 B per task. Exhaustive: every decade up to 10^6.
    if (p == Profile::quick) return std::vector<ParamValues>{at("100")};
    std::vector<ParamValues> s;
    if (p == Profile::full) {
      // Every other decade: the slope of the log-log chart needs three points.
      for (auto n : {"100", "10000", "1000000"}) s.push_back(at(n));
      return s;
    }
    for (auto n : {"100", "1000", "10000", "100000", "1000000"}) s.push_back(at(n));
    return s;
  };
  w.smallest = at("10");
  w.tasks = [](const ParamValues& v) { return static_cast<std::uint64_t>(v.integer("N")); };
  w.estimate_seconds = [](const ParamValues& v, const ModelInfo& m) {
    // Making the tasks, waking them and a fork for the run's own process; a process child
    // also has its smaps_rollup read, and a thousand children alive at once cost ≈ 2.5 ms
    // each here (2.47 s for N = 10^3, against ≈ 0.3 ms for a fork alone).
    const double n = static_cast<double>(v.integer("N"));
    const double per_task_us = 2 * m.task_start_us + (m.name == "processes" ? 1900 : 0.5);
    return 0.05 + n * per_task_us * 1e-6;
  };
  w.metrics = {
      {.name = "bytes_per_task",
       .title = "memory per waiting task",
       .unit = "B",
       .chart = true,
       .over_scale = true},
      {"kernel_bytes_per_task", "kernel memory per waiting task (system-wide reading)", "B", true,
       false},
      {"peak_rss_mib", "peak RSS of the run", "MiB", true, false},
  };
  return w;
}

Params make_params(const ParamValues& v) {
  Params p;
  p.n = static_cast<std::uint64_t>(v.integer("N"));
  return p;
}

Verdict verify(const Params& p, const Result& r, const ModelInfo& m) {
  const auto n = std::to_string(p.n);
  if (r.waiting != p.n)
    return Verdict::fail(std::to_string(r.waiting) + " of " + n +
                         " tasks were waiting when the memory was read");
  if (r.finished != p.n)
    return Verdict::fail("only " + std::to_string(r.finished) + " of " + n +
                         " tasks finished after the event was set");
  Verdict v{true, "", p.n, p.n};
  const double per_task = 1.0 / static_cast<double>(p.n);
  v.metrics.emplace_back("bytes_per_task", static_cast<double>(r.user_bytes) * per_task);
  if (has_kernel_share(m) && r.kernel_bytes >= 0)
    v.metrics.emplace_back("kernel_bytes_per_task", static_cast<double>(r.kernel_bytes) * per_task);
  v.metrics.emplace_back("peak_rss_mib", static_cast<double>(r.peak_rss_bytes) / (1 << 20));
  return v;
}

Result in_fresh_process(Result (*run)(const Params&), const Params& p) {
  processes::Process<Result> child([run, &p] { return run(p); });
  return child.join();
}

// ---- The cells -----------------------------------------------------------------------------

namespace {

// A model's run as a cell runs it: in a fresh process (see spec.hpp).
template <Result (*run)(const Params&)>
Result fresh(const Params& p) {
  return in_fresh_process(run, p);
}

}  // namespace

void register_cells(Catalog& catalog) {
  WorkloadCells cells(catalog, describe(), make_params, verify);
  cells.add_models({.threads = fresh<threads>,
                    .processes = fresh<processes>,
                    .callbacks = fresh<callbacks>,
                    .futures = fresh<futures>,
                    .coroutines = fresh<coroutines>,
                    .fibers = fresh<fibers>});
}

}  // namespace cmbench::memory_per_task
