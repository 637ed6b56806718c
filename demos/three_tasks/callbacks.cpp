// three_tasks, callbacks: what a Twisted user writes. Starting a task means saying so and
// scheduling its end with deferLater; the reactor fires each Deferred when its wait is
// over, and gatherResults fires once all three have. Nothing blocks: the one thread takes
// turns between the tasks' callbacks, and sleeps in epoll while they all wait.
#include "demo.hpp"
#include "models/callbacks/deferred_list.hpp"
#include "models/callbacks/reactor.hpp"
#include "spec.hpp"

namespace cmbench::demos::three_tasks {

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

}  // namespace

void callbacks() {
  react([](Reactor& reactor) {
    std::vector<Deferred<int>> tasks;
    tasks.push_back(task(reactor, 1, 2));
    tasks.push_back(task(reactor, 2, 3));
    tasks.push_back(task(reactor, 3, 1));
    return gather_results(std::move(tasks)).add_callback([](const std::vector<int>&) {
      say("total {:.2f} s", elapsed_s());
    });
  });
}

}  // namespace cmbench::demos::three_tasks
