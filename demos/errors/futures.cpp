// errors, futures: Tornado with futures. A future keeps its task's exception; waiting for
// every future to be done, whatever its outcome, then reading each in turn gives the
// failure as one result among the others (multi alone would fail at the first). Tornado's
// futures cannot be cancelled: on multi's first failure, what can be stopped is the work
// behind the others, here their IOLoop timeouts (remove_timeout); their futures are dropped.
#include <stdexcept>

#include "demo.hpp"
#include "models/futures/io_loop.hpp"
#include "models/futures/multi.hpp"
#include "spec.hpp"

namespace cmbench::demos::errors {

namespace {

using cmbench::futures::Future;
using cmbench::futures::IOLoop;

// A running task: its future, and the timeout that will resolve it.
struct Running {
  int n;
  Future<int> future;
  IOLoop::Timeout timeout;
};

Running task(int n, double wait) {
  say("Task {} started", n);
  Future<int> f;
  auto timeout = IOLoop::current().call_later(units(wait), [n, f]() mutable {
    if (n == 1) {
      say("Task 1 raises an error");
      f.set_exception(std::make_exception_ptr(std::runtime_error("error in Task 1")));
    } else {
      say("Task {} finished", n);
      f.set_result(n);
    }
  });
  return {n, f, timeout};
}

std::vector<Running> start_three() {
  std::vector<Running> tasks;
  for (int n = 1; n <= 3; ++n) tasks.push_back(task(n, n));  // task n waits n units
  return tasks;
}

// A future that resolves when `f` does, succeeded or failed.
Future<void> settled(Future<int> f) {
  Future<void> done;
  f.add_done_callback([done](Future<int>&) mutable { done.set_result(); });
  return done;
}

Future<void> collected() {
  say("-- errors collected with the results");
  auto tasks = start_three();
  std::vector<Future<void>> all;
  for (auto& t : tasks) all.push_back(settled(t.future));
  return cmbench::futures::multi(std::move(all)).then([tasks] {
    for (const auto& t : tasks) {
      try {
        say("Task {} -> {}", t.n, t.future.result());  // result() raises what it holds
      } catch (const std::exception& e) {
        say("Task {} -> error: {}", t.n, e.what());
      }
    }
  });
}

Future<void> cancel_on_first_failure() {
  say("-- cancel the siblings on the first failure");
  auto tasks = start_three();
  std::vector<Future<int>> futures;
  for (auto& t : tasks) futures.push_back(t.future);
  Future<void> over;
  cmbench::futures::multi(std::move(futures)).add_done_callback([tasks, over](auto& all) mutable {
    try {
      all.result();
    } catch (const std::exception& e) {
      say("first failure: {}", e.what());
      for (const auto& t : tasks) {
        if (t.future.done()) continue;
        IOLoop::current().remove_timeout(t.timeout);
        say("Task {} cancelled, cleaning up", t.n);
      }
    }
    tasks.clear();  // the futures left pending are dropped (they would hold this callback)
    over.set_result();
  });
  return over;
}

}  // namespace

void futures() {
  IOLoop::current().run_sync([] {
    return collected().then(cancel_on_first_failure).then([] {
      say("total {:.2f} s", elapsed_s());
    });
  });
}

}  // namespace cmbench::demos::errors
