// three_tasks, futures: Tornado with futures and callbacks. A task is the future of a
// sleep (gen.sleep) and, chained on it with `then`, what happens when the wait is over;
// multi() waits for all three, and run_sync runs the IOLoop until it resolves. One thread,
// taking turns.
#include "demo.hpp"
#include "models/futures/io_loop.hpp"
#include "models/futures/multi.hpp"
#include "spec.hpp"

namespace cmbench::demos::three_tasks {

namespace {

using cmbench::futures::Future;

Future<int> task(int n, double wait) {
  say("Task {} started", n);
  return cmbench::futures::sleep(units(wait)).then([n] {
    say("Task {} finished", n);
    return n;
  });
}

}  // namespace

void futures() {
  cmbench::futures::IOLoop::current().run_sync([] {
    std::vector<Future<int>> tasks;
    tasks.push_back(task(1, 2));
    tasks.push_back(task(2, 3));
    tasks.push_back(task(3, 1));
    return cmbench::futures::multi(std::move(tasks)).then([](const std::vector<int>&) {
      say("total {:.2f} s", elapsed_s());
    });
  });
}

}  // namespace cmbench::demos::three_tasks
