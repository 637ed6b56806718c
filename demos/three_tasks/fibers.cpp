// three_tasks, fibers: gevent's version. Each task is a greenlet that calls sleep() as if
// it blocked; the sleep switches to the hub, which runs the other greenlets meanwhile.
// spawn() three, joinall() them: the code reads like the sequential one, and runs like the
// coroutines, on one thread.
#include "models/fibers/fibers.hpp"
#include "demo.hpp"
#include "spec.hpp"

namespace cmbench::demos::three_tasks {

namespace {

void task(int n, double wait) {
  say("Task {} started", n);
  cmbench::fibers::sleep(units(wait));  // gevent.sleep: yields to the hub
  say("Task {} finished", n);
}

}  // namespace

void fibers() {
  namespace gevent = cmbench::fibers;
  gevent::run([] {
    std::vector<gevent::Greenlet<void>> tasks;
    tasks.push_back(gevent::spawn([] { task(1, 2); }));
    tasks.push_back(gevent::spawn([] { task(2, 3); }));
    tasks.push_back(gevent::spawn([] { task(3, 1); }));
    gevent::joinall(tasks);
    say("total {:.2f} s", elapsed_s());
  });
}

}  // namespace cmbench::demos::three_tasks
