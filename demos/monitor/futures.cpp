// monitor, futures: in Tornado a waiting task is a pending future (and the IOLoop timer
// that will resolve it). The program keeps its futures, named, and the monitor, a
// callback that re-schedules itself on the IOLoop each tick (a PeriodicCallback), lists
// those not yet done().
#include <string>
#include <utility>
#include <vector>

#include "demo.hpp"
#include "models/futures/io_loop.hpp"
#include "spec.hpp"

namespace cmbench::demos::monitor {

namespace {

using cmbench::futures::Future;
using cmbench::futures::IOLoop;
using Pending = std::vector<std::pair<std::string, Future<void>>>;

// One tick: prints the futures still pending, then comes back in half a unit, or resolves
// `done` once none is left.
void tick(const Pending& workers, Future<void> done) {
  int alive = 0;
  std::string names;
  for (const auto& [name, f] : workers)
    if (!f.done()) {
      ++alive;
      names += (names.empty() ? "" : " ") + name;
    }
  say("ps: {} alive: {}", alive, names);
  if (alive == 0) return done.set_result();
  IOLoop::current().call_later(units(0.5), [&workers, done] { tick(workers, done); });
}

}  // namespace

void futures() {
  Pending workers;
  IOLoop::current().run_sync([&workers] {
    for (int n = 1; n <= 5; ++n)
      workers.emplace_back(
          "worker-" + std::to_string(n),
          cmbench::futures::sleep(units(n)).then([n] { say("worker-{} finished", n); }));
    Future<void> done;
    IOLoop::current().call_later(units(0.25), [&workers, done] { tick(workers, done); });
    return done.then([] { say("total {:.2f} s", elapsed_s()); });
  });
}

}  // namespace cmbench::demos::monitor
