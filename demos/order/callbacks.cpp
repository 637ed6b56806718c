// order, callbacks: Twisted. gatherResults (a DeferredList that keeps only the values)
// fires once with the results in call order. To take each result as it completes, add a
// callback to each Deferred: the reactor runs it when that Deferred fires. And main's own
// work is one more delayed call on the reactor, which runs between the tasks' callbacks.
#include "demo.hpp"
#include "models/callbacks/deferred_list.hpp"
#include "models/callbacks/reactor.hpp"
#include "spec.hpp"

namespace cmbench::demos::order {

using namespace cmbench::callbacks;  // from twisted.internet import ...
using cmbench::callbacks::Reactor;

namespace {

Deferred<int> task(Reactor& reactor, int n, double wait) {
  say("Task {} started", n);
  return defer_later(reactor, units(wait), [n] {
    say("Task {} finished", n);
    return n;
  });
}

std::vector<Deferred<int>> start_three(Reactor& reactor) {
  std::vector<Deferred<int>> tasks;
  tasks.push_back(task(reactor, 1, 2));
  tasks.push_back(task(reactor, 2, 3));
  tasks.push_back(task(reactor, 3, 1));
  return tasks;
}

Deferred<void> in_call_order(Reactor& reactor) {
  say("-- results in call order");
  return gather_results(start_three(reactor)).add_callback([](const std::vector<int>& r) {
    say("results in call order: {}, {}, {}", r[0], r[1], r[2]);
  });
}

Deferred<void> as_they_complete(Reactor& reactor) {
  say("-- results as they complete");
  auto tasks = start_three(reactor);
  for (auto& d : tasks)
    d = d.add_callback([](int result) {  // runs when this Deferred fires
      say("got result {}", result);
      return result;
    });
  return gather_results(std::move(tasks)).add_callback([](const std::vector<int>&) {});
}

Deferred<void> main_keeps_working(Reactor& reactor) {
  say("-- main keeps working");
  auto tasks = start_three(reactor);
  say("main working");
  reactor.call_later(units(1.5), [] { say("main done working"); });  // main's own work
  return gather_results(std::move(tasks)).add_callback([](const std::vector<int>&) {
    say("total {:.2f} s", elapsed_s());
  });
}

}  // namespace

void callbacks() {
  react([](Reactor& reactor) {
    return in_call_order(reactor)
        .add_callback([&reactor] { return as_they_complete(reactor); })
        .add_callback([&reactor] { return main_keeps_working(reactor); });
  });
}

}  // namespace cmbench::demos::order
