// order, fibers: gevent. joinall() waits for them all, and each greenlet's value read in
// spawn order gives the results in call order. iwait() hands the greenlets over as they
// finish. And main is a greenlet too: while it sleeps (its "work" here), the hub runs the
// others.
#include "models/fibers/fibers.hpp"
#include "demo.hpp"
#include "spec.hpp"

namespace cmbench::demos::order {

namespace {

namespace gevent = cmbench::fibers;

int task(int n, double wait) {
  say("Task {} started", n);
  gevent::sleep(units(wait));  // gevent.sleep: yields to the hub
  say("Task {} finished", n);
  return n;
}

std::vector<gevent::Greenlet<int>> spawn_three() {
  std::vector<gevent::Greenlet<int>> tasks;
  tasks.push_back(gevent::spawn(task, 1, 2.0));
  tasks.push_back(gevent::spawn(task, 2, 3.0));
  tasks.push_back(gevent::spawn(task, 3, 1.0));
  return tasks;
}

}  // namespace

void fibers() {
  gevent::run([] {
    say("-- results in call order");
    auto tasks = spawn_three();
    gevent::joinall(tasks);
    say("results in call order: {}, {}, {}", tasks[0].get(), tasks[1].get(), tasks[2].get());

    say("-- results as they complete");
    tasks = spawn_three();
    for (const auto& g : gevent::iwait(tasks)) say("got result {}", g.get());

    say("-- main keeps working");
    tasks = spawn_three();
    say("main working");
    gevent::sleep(units(1.5));  // main's own work; the hub runs the tasks meanwhile
    say("main done working");
    gevent::joinall(tasks);
    say("total {:.2f} s", elapsed_s());
  });
}

}  // namespace cmbench::demos::order
