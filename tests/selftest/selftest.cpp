// selftest: cells that misbehave on purpose, so that the tests can check how the harness
// and the suite runner record a failed verification, an exception, a crash, a hang, a leak
// and a fault inside a model (a killed pool worker, a throwing pool thread, a segfaulting
// greenlet).
// Registered only when the environment has CMBENCH_SELFTEST=1; never part of a real run.
#include "tests/selftest/selftest.hpp"

#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <utility>

#include "models/fibers/fibers.hpp"
#include "models/processes/info.hpp"
#include "models/processes/pool.hpp"
#include "models/sequential/info.hpp"
#include "models/threads/executor.hpp"
#include "workloads/workload_cells.hpp"

namespace cmbench::selftest {
namespace {

struct Params {
  std::string outcome;
};
using Result = std::uint64_t;

Params make_params(const ParamValues& v) {
  return {v.text("outcome")};
}

// Computes for `ms` of this thread's CPU time.
void burn(int ms) {
  auto cpu_ns = [] {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1'000'000'000LL + t.tv_nsec;
  };
  const auto until = cpu_ns() + ms * 1'000'000LL;
  while (cpu_ns() < until) {
  }
}

// The leaks the harness must find. Per run: a descriptor, a thread, an unreaped child.
// Once per process: a process that outlives the cell, out of its process group, and a
// temporary file.
void leave_behind(const std::string& outcome) {
  if (outcome == "leak_descriptor") ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (outcome == "leak_thread")
    std::thread([] {
      for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
    }).detach();
  if (outcome == "leak_child" && ::fork() == 0) ::_exit(0);
  static bool once = true;
  if (!std::exchange(once, false)) return;
  if (outcome == "orphan" && ::fork() == 0) {
    ::setsid();
    ::sleep(600);
    ::_exit(0);
  }
  if (outcome == "leak_file") {
    std::string name = (std::filesystem::temp_directory_path() / "selftest-XXXXXX").string();
    ::mkstemp(name.data());
  }
}

// Faults inside a model's own machinery: a pool worker process killed mid-run, a task that
// throws on a pool thread, a greenlet that segfaults the cell's process.
std::uint64_t fault(const std::string& outcome) {
  if (outcome == "worker_killed") {
    processes::Pool pool(2, [](std::uint64_t i) -> std::uint64_t {
      if (i == 2) ::raise(SIGKILL);
      return i;
    });
    const std::vector<std::uint64_t> inputs{0, 1, 2, 3};
    return pool.map(inputs).size();
  }
  if (outcome == "pool_throws") {
    threads::ThreadPoolExecutor pool(2);
    auto future = pool.submit([]() -> std::uint64_t {
      throw std::runtime_error("a task threw on a pool thread on purpose");
    });
    return future.result();
  }
  if (outcome == "task_segfaults")
    return fibers::run([] {
      auto g = fibers::spawn([] {
        ::raise(SIGSEGV);
        return std::uint64_t{42};
      });
      return g.get();
    });
  return 42;
}

Result run(const Params& p) {
  if (p.outcome == "spin") {  // two threads computing: on one CPU they take turns
    std::thread other(burn, 20);
    burn(20);
    other.join();
  }
  if (p.outcome == "throw") throw std::runtime_error("selftest cell threw on purpose");
  if (p.outcome == "crash") std::abort();  // SIGABRT: not intercepted by the sanitizers
  if (p.outcome == "hang")
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  leave_behind(p.outcome);
  if (const std::uint64_t r = fault(p.outcome); r != 42) return r;
  if (p.outcome == "first_fails") {  // a wrong answer on the process's first run only
    static bool first = true;
    return std::exchange(first, false) ? 41 : 42;
  }
  return p.outcome == "fail" ? 41 : 42;
}

Verdict verify(const Params&, const Result& r, const ModelInfo&) {
  if (r != 42) return Verdict::fail("expected 42, got " + std::to_string(r));
  return {true, "", 1, 1};
}

}  // namespace

void register_cells(Catalog& catalog) {
  Workload w;
  w.name = "selftest";
  w.title = "cells that misbehave on purpose (tests only)";
  w.summary = "Checks the harness: a wrong answer, an exception, a crash, a hang, a leak.";
  w.params = {{"outcome",
               ParamKind::choice,
               "ok",
               "what the cell does",
               0,
               0,
               {"ok", "fail", "throw", "crash", "hang", "spin", "first_fails", "leak_descriptor",
                "leak_thread", "leak_child", "orphan", "leak_file", "worker_killed", "pool_throws",
                "task_segfaults"}},
              {"tasks", ParamKind::integer, "1", "tasks the cell claims to need", 1, INT64_MAX}};
  w.scale_param = "outcome";
  // The full profile holds the one cell that keeps two threads busy, for the CPU budgets.
  w.scales = [](Profile profile) {
    if (profile == Profile::full)
      return std::vector{ParamValues({{"outcome", "spin"}, {"tasks", "1"}})};
    std::vector<ParamValues> s;
    for (auto o :
         {"ok", "fail", "throw", "crash", "hang", "leak_descriptor", "leak_thread", "leak_child",
          "orphan", "leak_file", "worker_killed", "pool_throws", "task_segfaults"})
      s.push_back(ParamValues({{"outcome", o}, {"tasks", "1"}}));
    s.push_back(ParamValues({{"outcome", "ok"}, {"tasks", "1000000"}}));  // beyond most limits
    return s;
  };
  w.smallest = ParamValues({{"outcome", "ok"}, {"tasks", "1"}});
  w.tasks = [](const ParamValues& v) { return static_cast<std::uint64_t>(v.integer("tasks")); };
  w.estimate_seconds = [](const ParamValues&, const ModelInfo&) { return 0.001; };
  // The same misbehaving function under two models, whose limits the tasks:1000000 cell
  // exceeds. It does not fork.
  WorkloadCells cells(catalog, std::move(w), make_params, verify);
  cells.add(sequential::info, run);
  cells.add(processes::info, run);
}

}  // namespace cmbench::selftest
