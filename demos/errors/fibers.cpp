// errors, fibers: gevent. A greenlet keeps what it raised: joinall() (raise_error=False)
// waits for all, and get() in spawn order raises each failure in turn, one result among
// the others. To cancel on the first failure, iwait() gives the greenlets as they finish,
// and killall() raises GreenletExit in the others where they wait: their clean-up runs as
// the exception passes through them.
#include <stdexcept>

#include "demo.hpp"
#include "models/fibers/fibers.hpp"
#include "spec.hpp"

namespace cmbench::demos::errors {

namespace {

namespace gevent = cmbench::fibers;

int task(int n, double wait) {
  say("Task {} started", n);
  try {
    gevent::sleep(units(wait));
  } catch (const gevent::GreenletExit&) {  // killed: clean up, and let it go on
    say("Task {} cancelled, cleaning up", n);
    throw;
  }
  if (n == 1) {
    say("Task 1 raises an error");
    throw std::runtime_error("error in Task 1");
  }
  say("Task {} finished", n);
  return n;
}

std::vector<gevent::Greenlet<int>> spawn_three() {
  std::vector<gevent::Greenlet<int>> tasks;
  for (int n = 1; n <= 3; ++n) tasks.push_back(gevent::spawn(task, n, double(n)));
  return tasks;
}

}  // namespace

void fibers() {
  gevent::run([] {
    say("-- errors collected with the results");
    auto tasks = spawn_three();
    gevent::joinall(tasks);
    for (int n = 1; n <= 3; ++n) {
      try {
        say("Task {} -> {}", n, tasks[n - 1].get());
      } catch (const std::exception& e) {
        say("Task {} -> error: {}", n, e.what());
      }
    }

    say("-- cancel the siblings on the first failure");
    tasks = spawn_three();
    for (const auto& g : gevent::iwait(tasks)) {
      if (!g.exception()) continue;
      try {
        g.get();
      } catch (const std::exception& e) {
        say("first failure: {}", e.what());
      }
      gevent::killall(std::span<const gevent::Greenlet<int>>(tasks));  // and wait for them
      break;
    }
    say("total {:.2f} s", elapsed_s());
  });
}

}  // namespace cmbench::demos::errors
