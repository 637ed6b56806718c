// order, sequential: plain function calls. Each task blocks the only thread until its wait
// is over, so the results come back in call order in every part: it is also the order the
// tasks finish in. And main cannot work while a task waits: nothing else runs meanwhile.
#include <thread>

#include "demo.hpp"
#include "spec.hpp"

namespace cmbench::demos::order {

namespace {

int task(int n, double wait) {
  say("Task {} started", n);
  std::this_thread::sleep_for(units(wait));  // time.sleep(wait)
  say("Task {} finished", n);
  return n;
}

}  // namespace

void sequential() {
  say("-- results in call order");
  const int results[] = {task(1, 2), task(2, 3), task(3, 1)};
  say("results in call order: {}, {}, {}", results[0], results[1], results[2]);

  say("-- results as they complete");
  // A call returns when its task has finished: the order of completion is the call order.
  say("got result {}", task(1, 2));
  say("got result {}", task(2, 3));
  say("got result {}", task(3, 1));

  say("-- main keeps working");
  // It cannot: there is no starting a task without running it to its end on this thread.
  task(1, 2);
  task(2, 3);
  task(3, 1);
  say("main working");
  std::this_thread::sleep_for(units(1.5));
  say("main done working");
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::order
