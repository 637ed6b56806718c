#include "spec.hpp"

#include <string>

#include "models/core/span.hpp"
#include "models/fibers/info.hpp"
#include "models/processes/info.hpp"
#include "models/sequential/info.hpp"
#include "models/threads/info.hpp"
#include "references/floors.hpp"
#include "workloads/workload_cells.hpp"

namespace cmbench::spawn_many {
namespace {

ParamValues at(const std::string& shape, const std::string& n) {
  return ParamValues({{"shape", shape}, {"N", n}});
}

// A sequential task is a call that returns before the next one starts: nothing of it is
// alive at once but the recursion's path, so no count of tasks is beyond it.
constexpr ModelInfo sequential_calls_info = [] {
  ModelInfo m = sequential::info;
  m.max_tasks = unlimited_tasks;
  m.limit_reason = "none: a task is a call, and one call runs at a time";
  m.task_start_us = 0.002;
  return m;
}();

// Greenlets spawned eagerly run until they first block, before spawn returns; these never
// block, so each has finished by then and only the path from the root to the newest one is
// alive at once (a greenlet waiting in joinall for its children). Memory no longer bounds
// the tasks the way it does for greenlets that all wait at once.
constexpr ModelInfo fibers_eager_info = [] {
  ModelInfo m = fibers::info;
  m.max_tasks = 10'000'000;
  m.limit_reason =
      "eager spawn: a greenlet that never blocks finishes before spawn returns, so at most "
      "the tree's depth of greenlets (each with its 16 KiB stack) is alive at once";
  m.task_start_us = 0.5;
  return m;
}();

// What a task cost in this workload here (a quick run on a loaded machine, rounded up), for
// the time estimates only: a thread or a process per task costs ten times its model's
// start-up figure when a thousand of them are alive at once, and greenlets all alive at once
// pay their stacks' first touch.
double cost_per_task_us(const ModelInfo& m) {
  if (&m == &threads::info) return 300;
  if (&m == &processes::info) return 3'000;
  if (&m == &fibers::info) return 50;
  if (m.name == "callbacks" || m.name == "futures" || m.name == "coroutines") return 0.5;
  return m.task_start_us;
}

// The run's wall time, measured around the model's own code only: the harness's time also
// includes setting up the parameters' vectors and freeing the results.
template <Result (*Run)(const Params&)>
Result timed(const Params& p) {
  const std::int64_t start = monotonic_ns();
  Result r = Run(p);
  r.elapsed_ns = monotonic_ns() - start;
  return r;
}

}  // namespace

std::uint64_t tasks_created(const Params& p) {
  if (p.shape == Shape::flat) return static_cast<std::uint64_t>(p.n);
  return static_cast<std::uint64_t>((10 * p.n - 1) / 9);  // 1 + 10 + ... + 10^depth
}

Workload describe() {
  Workload w;
  w.name = "spawn_many";
  w.title = "Create many tasks that do nothing, and join them";
  w.summary =
      "The cost of a task, from its creation to its result joined: N empty tasks (flat), or "
      "the 10-ary skynet tree whose every node spawns its ten children and sums their "
      "results. Threads and processes pay the kernel for each; greenlets a stack; "
      "coroutines, Deferreds and Futures a few allocations and a trip through the loop.";
  w.params = {
      {"shape",
       ParamKind::choice,
       "flat",
       "flat: N tasks; skynet: the 10-ary tree of N leaves",
       1,
       1,
       {"flat", "skynet"}},
      {"N", ParamKind::integer, "1000", "tasks (flat) or leaves, a power of 10 (skynet)", 1,
       10'000'000},
  };
  w.scale_param = "N";
  w.scales = [](Profile p) {
    std::vector<ParamValues> s;
    if (p == Profile::quick) {
      // 100 flat tasks is what a process per task affords in a quick run (a fork costs 0.3 to
      // 3 ms here, by load); skynet with 10^4 leaves is large enough that every loop's cost
      // per task shows above its set-up, small enough for greenlets all alive at once.
      s.push_back(at("flat", "100"));
      s.push_back(at("skynet", "10000"));
      return s;
    }
    if (p == Profile::full) {
      // Quick's two, flat at 1 000 and 10^4, and skynet up to 10^6 leaves where a model's
      // run stays within the full profile's 1.5 s.
      for (auto n : {"100", "1000", "10000"}) s.push_back(at("flat", n));
      for (auto n : {"10000", "100000", "1000000"}) s.push_back(at("skynet", n));
      return s;
    }
    for (auto shape : {"flat", "skynet"})
      for (auto n : {"100", "1000", "10000", "100000", "1000000"}) s.push_back(at(shape, n));
    return s;
  };
  w.smallest = at("skynet", "100");
  w.tasks = [](const ParamValues& v) { return tasks_created(make_params(v)); };
  w.estimate_seconds = [](const ParamValues& v, const ModelInfo& m) {
    return 0.01 + static_cast<double>(tasks_created(make_params(v))) * cost_per_task_us(m) * 1e-6;
  };
  w.metrics = {{"ns_per_task", "time per task created", "ns", true, true, "coroutine_floor"}};
  return w;
}

Params make_params(const ParamValues& v) {
  Params p;
  p.shape = v.text("shape") == "skynet" ? Shape::skynet : Shape::flat;
  p.n = v.integer("N");
  if (p.shape == Shape::skynet) {
    std::int64_t leaves = 1;
    while (leaves < p.n) {
      leaves *= 10;
      ++p.depth;
    }
    if (leaves != p.n)
      throw BadInput("spawn_many: skynet needs N a power of 10 (the tree is 10-ary), not " +
                     std::to_string(p.n));
  }
  return p;
}

Verdict verify(const Params& p, const Result& r, const ModelInfo&) {
  if (p.shape == Shape::flat) {
    if (r.values.size() != static_cast<std::size_t>(p.n))
      return Verdict::fail(std::to_string(r.values.size()) + " results joined, not " +
                           std::to_string(p.n));
    for (std::size_t i = 0; i < r.values.size(); ++i)
      if (r.values[i] != static_cast<std::int64_t>(i))
        return Verdict::fail("task " + std::to_string(i) + " returned " +
                             std::to_string(r.values[i]));
  } else if (const std::int64_t want = p.n * (p.n - 1) / 2; r.sum != want) {
    return Verdict::fail("skynet sum " + std::to_string(r.sum) + ", not " + std::to_string(want));
  }
  const std::uint64_t tasks = tasks_created(p);
  Verdict v{true, "", tasks, 1};
  v.metrics.emplace_back("ns_per_task", static_cast<double>(r.elapsed_ns) / tasks);
  return v;
}

// ---- The cells -----------------------------------------------------------------------------

void register_cells(Catalog& catalog) {
  WorkloadCells cells(catalog, describe(), make_params, verify);
  cells.add(sequential_calls_info, timed<sequential>);
  cells.add(threads::info, timed<threads>);
  cells.add(threads::tbb_info, timed<threads_tbb>, "tbb");
  cells.add(processes::info, timed<processes>);
  cells.add(callbacks::info, timed<callbacks>);
  cells.add(futures::info, timed<futures>);
  cells.add(fibers::info, timed<fibers>);
  cells.add(fibers_eager_info, timed<fibers_eager>, "eager");
  cells.add(coroutines::info, timed<coroutines>);
  cells.add(coroutines::info, timed<coroutines_eager>, "eager");
  cells.add(coroutines::info, timed<coroutines_eager_pooled>, "eager_pooled");
  cells.add(references::tbb, timed<tbb_floor>, "", [](const ParamValues& v) -> std::string {
    return make_params(v).shape == Shape::flat
               ? "flat tasks on TBB have no leaner form than the threads-tbb row's"
               : "";
  });
  cells.add(references::coroutine_floor, timed<coroutine_floor>);
  register_python(catalog);
  register_mpi(catalog);
}

}  // namespace cmbench::spawn_many
