// three_tasks, threads: threading.Thread per task, then join() each. The waits overlap
// because each task blocks its own OS thread; the lanes in the output are those threads.
#include <thread>
#include <vector>

#include "demo.hpp"
#include "spec.hpp"

namespace cmbench::demos::three_tasks {

namespace {

void task(int n, double wait) {
  say("Task {} started", n);
  std::this_thread::sleep_for(units(wait));
  say("Task {} finished", n);
}

}  // namespace

void threads() {
  std::vector<std::thread> workers;
  workers.emplace_back(task, 1, 2);
  workers.emplace_back(task, 2, 3);
  workers.emplace_back(task, 3, 1);
  for (auto& t : workers) t.join();
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::three_tasks
