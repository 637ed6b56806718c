// monitor, processes: multiprocessing.active_children(). The parent keeps its children,
// named, and asks the kernel which are still running: a child that has ended is a zombie
// (state Z in /proc/<pid>/stat) until join() reaps it, so it no longer counts as alive.
#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "demo.hpp"
#include "models/processes/process.hpp"
#include "proc_stat.hpp"
#include "spec.hpp"

namespace mp = cmbench::processes;  // import multiprocessing as mp

namespace cmbench::demos::monitor {

namespace {

int worker(int n) {
  std::this_thread::sleep_for(units(n));
  say("worker-{} finished", n);
  return n;
}

}  // namespace

void processes() {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::pair<std::string, mp::Process<int>>> children;
  for (int n = 1; n <= 5; ++n)
    children.emplace_back("worker-" + std::to_string(n),
                          mp::Process<int>([n] { return worker(n); }));
  // Ticks at 0.25, 0.75, 1.25 … units from the start: a quarter unit off the workers' ends.
  for (int tick = 0;; ++tick) {
    std::this_thread::sleep_until(start + units(0.25 + 0.5 * tick));
    int alive = 0;
    std::string names;
    for (const auto& [name, child] : children) {
      const char state = read_proc_stat(child.pid()).value_or(ProcStat{}).state;
      if (state == 'Z' || state == '?') continue;  // ended: not an active child
      ++alive;
      names += fmt::format("{}{} (pid {}, {})", names.empty() ? "" : " ", name, child.pid(), state);
    }
    say("ps: {} alive: {}", alive, names);
    if (alive == 0) break;
  }
  for (auto& [name, child] : children) child.join();
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::monitor
