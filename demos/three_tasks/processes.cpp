// three_tasks, processes: multiprocessing.Process per task, then join() each. Each task is
// a forked child with its own memory; the lanes in the output are those processes.
#include <thread>
#include <vector>

#include "demo.hpp"
#include "models/processes/process.hpp"
#include "spec.hpp"

namespace mp = cmbench::processes;  // import multiprocessing as mp

namespace cmbench::demos::three_tasks {

namespace {

int task(int n, double wait) {
  say("Task {} started", n);
  std::this_thread::sleep_for(units(wait));
  say("Task {} finished", n);
  return n;
}

}  // namespace

void processes() {
  std::vector<mp::Process<int>> children;
  children.emplace_back([] { return task(1, 2); });
  children.emplace_back([] { return task(2, 3); });
  children.emplace_back([] { return task(3, 1); });
  for (auto& child : children) child.join();
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::three_tasks
