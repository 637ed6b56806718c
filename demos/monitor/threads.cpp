// monitor, threads: threading.enumerate(), from the kernel's side. Each worker names its
// thread (pthread_setname_np, what `top -H` and gdb show), and the monitor, on the main
// thread, reads the process's threads from /proc/self/task: the workers among them, with
// their state letter (S: sleeping). A thread that has returned is gone from that list
// before anyone joins it.
#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "demo.hpp"
#include "proc_stat.hpp"
#include "spec.hpp"

namespace cmbench::demos::monitor {

namespace {

void worker(int n) {
  pthread_setname_np(pthread_self(), ("worker-" + std::to_string(n)).c_str());
  std::this_thread::sleep_for(units(n));
  say("worker-{} finished", n);
}

// The threads of this process whose name starts with "worker-", as "worker-3 (S)", sorted.
std::vector<std::string> enumerate_workers() {
  std::vector<std::string> found;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    const auto stat = read_proc_stat(task.path() / "stat");  // none: it ended meanwhile
    if (stat && stat->name.starts_with("worker-"))
      found.push_back(stat->name + " (" + stat->state + ")");
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace

void threads() {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int n = 1; n <= 5; ++n) workers.emplace_back(worker, n);
  // Ticks at 0.25, 0.75, 1.25 … units from the start: a quarter unit off the workers' ends.
  for (int tick = 0;; ++tick) {
    std::this_thread::sleep_until(start + units(0.25 + 0.5 * tick));
    const auto alive = enumerate_workers();
    std::string names;
    for (const auto& w : alive) names += (names.empty() ? "" : " ") + w;
    say("ps: {} alive: {}", alive.size(), names);
    if (alive.empty()) break;
  }
  for (auto& t : workers) t.join();
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::monitor
