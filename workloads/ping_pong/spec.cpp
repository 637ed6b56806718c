#include "spec.hpp"

#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <string_view>
#include <system_error>

#include "references/floors.hpp"
#include "workloads/workload_cells.hpp"

namespace cmbench::ping_pong {

// ---- Placement ----------------------------------------------------------------------------

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) < 0)
    throw std::system_error(errno, std::generic_category(), "sched_getaffinity");
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  return cpus;
}

Pin::Pin(int cpu) {
  CPU_ZERO(&saved_);
  if (::sched_getaffinity(0, sizeof saved_, &saved_) < 0)
    throw std::system_error(errno, std::generic_category(), "sched_getaffinity");
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  if (::sched_setaffinity(0, sizeof one, &one) < 0)
    throw std::system_error(errno, std::generic_category(),
                            "sched_setaffinity to CPU " + std::to_string(cpu));
}

Pin::~Pin() {
  ::sched_setaffinity(0, sizeof saved_, &saved_);  // a destructor has nobody to tell
}

int current_cpu() {
  return ::sched_getcpu();
}

// ---- The workload -------------------------------------------------------------------------

namespace {

ParamValues at(const std::string& r, const std::string& place) {
  return ParamValues({{"R", r}, {"place", place}});
}

// Rough cost of one hand-off here, for time limits and the ETA only: a stack switch or a
// coroutine transfer is nanoseconds, a trip through an event loop tens of nanoseconds, a
// kernel wake-up 3–9 µs on one CPU and 70–110 µs across two (measured with the other CPU
// busy compiling; 30–40 µs on a quiet machine).
double handoff_seconds(const ModelInfo& m, bool split) {
  const std::string_view name = m.name;
  if (name == "sequential" || name == "symmetric_transfer" || name == "fcontext") return 0.02e-6;
  if (split) return 80e-6;
  const bool event_loop =
      name == "callbacks" || name == "futures" || name == "coroutines" || name == "fibers";
  return event_loop ? 0.1e-6 : 6e-6;
}

bool one_thread_only(const ModelInfo& m) {
  return m.name == sequential::info.name || m.name == symmetric_transfer_floor.name ||
         m.name == fcontext_floor.name;
}

}  // namespace

Workload describe() {
  Workload w;
  w.name = "ping_pong";
  w.title = "two tasks pass a token back and forth R times";
  w.summary =
      "Two tasks hand a token to each other R times (2R hand-offs) through the model's own "
      "channel: what one hand-off costs, from a coroutine transfer to a kernel wake-up. "
      "place=same pins both ends to one CPU; place=split pins them to two, where waking the "
      "other end costs an interrupt to the other CPU. The floors are raw: a symmetric "
      "coroutine transfer, a Boost.Context switch, a futex, a pipe.";
  w.params = {
      {"R", ParamKind::integer, "1000", "rounds (A -> B -> A): 2R hand-offs", 1, 100'000'000},
      {"place",
       ParamKind::choice,
       "same",
       "same: both ends pinned to one CPU; split: to two different CPUs",
       0,
       0,
       {"same", "split"}},
  };
  w.scale_param = "R";
  w.scales = [](Profile profile) {
    std::vector<ParamValues> s;
    // Quick: 1 000 rounds in both placements. A split hand-off costs 30–110 µs here, so
    // each split cell's run takes 0.07–0.2 s (four runs: the warm-up and three repetitions);
    // 10^4 rounds would make the ten split cells alone cost a minute.
    if (profile == Profile::quick) {
      for (auto place : {"same", "split"}) s.push_back(at("1000", place));
      return s;
    }
    if (profile == Profile::full) {
      // Quick's two, and 10^4 rounds on one CPU (the hand-off's cost well above a run's
      // set-up).
      for (auto place : {"same", "split"}) s.push_back(at("1000", place));
      s.push_back(at("10000", "same"));
      return s;
    }
    for (auto r : {"1000", "10000", "100000"}) s.push_back(at(r, "same"));
    for (auto r : {"1000", "10000"}) s.push_back(at(r, "split"));
    return s;
  };
  w.smallest = at("100", "same");
  w.traced = at("5", "same");
  w.tasks = [](const ParamValues&) -> std::uint64_t { return 2; };
  w.estimate_seconds = [](const ParamValues& v, const ModelInfo& m) {
    const bool split = v.text("place") == "split";
    return 2.0 * static_cast<double>(v.integer("R")) * handoff_seconds(m, split) +
           2 * m.task_start_us * 1e-6;
  };
  w.metrics = {
      {"ns_per_handoff", "time per hand-off", "ns", true, true, "futex"},
      {"cpus", "CPUs the two ends ran on", "", true, false},
  };
  return w;
}

Params make_params(const ParamValues& v) {
  Params p;
  p.rounds = v.integer("R");
  p.split = v.text("place") == "split";
  const std::vector<int> cpus = allowed_cpus();
  if (cpus.empty()) throw BadInput("ping_pong: this thread may run on no CPU");
  if (p.split && cpus.size() < 2)
    throw BadInput("ping_pong place=split needs two CPUs; this process may use only CPU " +
                   std::to_string(cpus[0]));
  p.cpu_a = cpus[0];
  p.cpu_b = p.split ? cpus[1] : cpus[0];
  return p;
}

Verdict verify(const Params& p, const Result& r, const ModelInfo&) {
  const std::int64_t handoffs = 2 * p.rounds;
  if (r.handoffs != handoffs)
    return Verdict::fail(std::to_string(r.handoffs) + " hand-offs counted for R=" +
                         std::to_string(p.rounds) + ", expected " + std::to_string(handoffs));
  if (r.token != handoffs)
    return Verdict::fail("the token ended at " + std::to_string(r.token) + ", expected " +
                         std::to_string(handoffs) + " (each end adds one per hand-off)");
  if (r.cpu_a != p.cpu_a || r.cpu_b != p.cpu_b)
    return Verdict::fail("the ends ran on CPUs " + std::to_string(r.cpu_a) + " and " +
                         std::to_string(r.cpu_b) + ", not on the CPUs " + std::to_string(p.cpu_a) +
                         " and " + std::to_string(p.cpu_b) + " they were pinned to");
  if (r.elapsed_ns <= 0) return Verdict::fail("the rounds were not timed");
  Verdict v{true, "", 2, 1};
  v.metrics = {
      {"ns_per_handoff", static_cast<double>(r.elapsed_ns) / static_cast<double>(handoffs)},
      {"cpus", r.cpu_a == r.cpu_b ? 1.0 : 2.0},
  };
  return v;
}

// ---- The cells -----------------------------------------------------------------------------

void register_cells(Catalog& catalog) {
  // The floors are rows of this workload alone: they join the catalog's reference rows here,
  // once, whichever workload registers first.
  for (const ModelInfo* floor :
       {&symmetric_transfer_floor, &fcontext_floor, &futex_floor, &pipe_floor}) {
    const auto& known = catalog.models();
    if (std::none_of(known.begin(), known.end(),
                     [floor](const ModelInfo* m) { return m->name == floor->name; }))
      catalog.add_model(*floor);
  }

  WorkloadCells cells(catalog, describe(), make_params, verify);
  auto placement = [](const ModelInfo& m) {
    return [one_thread = one_thread_only(m)](const ParamValues& v) -> std::string {
      if (v.text("place") != "split") return "";
      if (one_thread) return "both ends run on one thread, which runs on one CPU at a time";
      if (allowed_cpus().size() < 2) return "place=split needs two CPUs; this process has one";
      return "";
    };
  };
  auto add = [&](const ModelInfo& m, Result (*run)(const Params&), const char* variant = "") {
    cells.add(m, run, variant, placement(m));
  };
  add(sequential::info, sequential);
  add(threads::info, threads);
  add(threads::info, threads_semaphore, "semaphore");
  add(processes::info, processes);
  add(processes::info, processes_semaphore, "semaphore");
  add(callbacks::info, callbacks);
  add(futures::info, futures);
  add(coroutines::info, coroutines);
  add(fibers::info, fibers);
  add(symmetric_transfer_floor, symmetric_transfer);
  add(fcontext_floor, fcontext);
  add(futex_floor, futex);
  add(pipe_floor, pipe);
  register_python(catalog);
  register_mpi(catalog);
}

}  // namespace cmbench::ping_pong
