// errors, callbacks: Twisted. A DeferredList (consumeErrors) fires with a (success, value
// or Failure) pair per Deferred, in call order: the failure is one result among the others.
// gatherResults fails at the first failure instead, and its errback cancels the siblings:
// what a Deferred's canceller does, here by hand (this model's Deferreds have no cancel()):
// stop the task's DelayedCall, clean up, and errback the Deferred with CancelledError.
#include <stdexcept>

#include "demo.hpp"
#include "models/callbacks/deferred_list.hpp"
#include "models/callbacks/reactor.hpp"
#include "spec.hpp"

namespace cmbench::demos::errors {

using namespace cmbench::callbacks;  // from twisted.internet import ...
using cmbench::callbacks::Reactor;

namespace {

struct CancelledError : std::runtime_error {  // twisted.internet.defer.CancelledError
  CancelledError() : std::runtime_error("cancelled") {}
};

// A running task: its Deferred, and the delayed call that will fire it.
struct Running {
  int n;
  Deferred<int> d;
  DelayedCall call;
};

Running task(Reactor& reactor, int n, double wait) {
  say("Task {} started", n);
  Deferred<int> d;
  auto call = reactor.call_later(units(wait), [n, d]() mutable {
    if (n == 1) {
      say("Task 1 raises an error");
      d.errback(std::runtime_error("error in Task 1"));
    } else {
      say("Task {} finished", n);
      d.callback(n);
    }
  });
  return {n, d, call};
}

std::vector<Running> start_three(Reactor& reactor) {
  std::vector<Running> tasks;
  for (int n = 1; n <= 3; ++n) tasks.push_back(task(reactor, n, n));  // task n waits n units
  return tasks;
}

Deferred<void> collected(Reactor& reactor) {
  say("-- errors collected with the results");
  std::vector<Deferred<int>> ds;
  for (auto& t : start_three(reactor)) ds.push_back(t.d);
  return DeferredList<int>(std::move(ds)).add_callback([](const std::vector<ListEntry<int>>& r) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      const auto& [success, outcome] = r[i];
      if (success)
        say("Task {} -> {}", i + 1, std::get<int>(outcome));
      else
        say("Task {} -> error: {}", i + 1, std::get<Failure>(outcome).error_message());
    }
  });
}

Deferred<void> cancel_on_first_failure(Reactor& reactor) {
  say("-- cancel the siblings on the first failure");
  auto tasks = start_three(reactor);
  std::vector<Deferred<int>> ds;
  for (auto& t : tasks) ds.push_back(t.d);
  return gather_results(std::move(ds))
      .add_callbacks([](const std::vector<int>&) {},
                     [tasks](const Failure& f) mutable {
                       say("first failure: {}", f.error_message());
                       for (auto& t : tasks) {
                         if (!t.call.active()) continue;  // it has run: nothing to cancel
                         t.call.cancel();
                         say("Task {} cancelled, cleaning up", t.n);
                         t.d.errback(CancelledError());  // dropped: the gathering has failed
                       }
                     });
}

}  // namespace

void callbacks() {
  react([](Reactor& reactor) {
    return collected(reactor)
        .add_callback([&reactor] { return cancel_on_first_failure(reactor); })
        .add_callback([] { say("total {:.2f} s", elapsed_s()); });
  });
}

}  // namespace cmbench::demos::errors
