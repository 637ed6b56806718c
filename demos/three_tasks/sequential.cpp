// three_tasks, sequential: the tutorial's synchronous version. Each task blocks the only
// thread for its whole wait, so the next one cannot start before it ends: 2 + 3 + 1 units.
#include <thread>

#include "demo.hpp"
#include "spec.hpp"

namespace cmbench::demos::three_tasks {

namespace {

void task(int n, double wait) {
  say("Task {} started", n);
  std::this_thread::sleep_for(units(wait));  // time.sleep(wait)
  say("Task {} finished", n);
}

}  // namespace

void sequential() {
  task(1, 2);
  task(2, 3);
  task(3, 1);
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::three_tasks
