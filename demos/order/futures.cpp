// order, futures: Tornado with futures. multi() resolves once with the results in call
// order. To take each result as it completes, add a done-callback to each future (what
// gen.WaitIterator does for you): it runs when that future resolves. And main's own work is
// a call_later on the IOLoop, which runs between the tasks' continuations.
#include "demo.hpp"
#include "models/futures/io_loop.hpp"
#include "models/futures/multi.hpp"
#include "spec.hpp"

namespace cmbench::demos::order {

namespace {

using cmbench::futures::Future;
using cmbench::futures::IOLoop;

Future<int> task(int n, double wait) {
  say("Task {} started", n);
  return cmbench::futures::sleep(units(wait)).then([n] {
    say("Task {} finished", n);
    return n;
  });
}

std::vector<Future<int>> start_three() {
  std::vector<Future<int>> tasks;
  tasks.push_back(task(1, 2));
  tasks.push_back(task(2, 3));
  tasks.push_back(task(3, 1));
  return tasks;
}

Future<void> in_call_order() {
  say("-- results in call order");
  return cmbench::futures::multi(start_three()).then([](const std::vector<int>& r) {
    say("results in call order: {}, {}, {}", r[0], r[1], r[2]);
  });
}

Future<void> as_they_complete() {
  say("-- results as they complete");
  auto tasks = start_three();
  for (auto& f : tasks)
    f.add_done_callback([](Future<int>& done) { say("got result {}", done.result()); });
  return cmbench::futures::multi(std::move(tasks)).then([](const std::vector<int>&) {});
}

Future<void> main_keeps_working() {
  say("-- main keeps working");
  auto tasks = start_three();
  say("main working");
  IOLoop::current().call_later(units(1.5), [] { say("main done working"); });  // main's work
  return cmbench::futures::multi(std::move(tasks)).then([](const std::vector<int>&) {
    say("total {:.2f} s", elapsed_s());
  });
}

}  // namespace

void futures() {
  IOLoop::current().run_sync(
      [] { return in_call_order().then(as_they_complete).then(main_keeps_working); });
}

}  // namespace cmbench::demos::order
