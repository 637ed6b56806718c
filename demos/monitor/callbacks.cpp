// monitor, callbacks: in Twisted a waiting task is a pending call of the reactor:
// reactor.getDelayedCalls() lists them. This model's reactor keeps no such list (its timers
// are the core's, shared with every model), so the program keeps its DelayedCalls, named,
// and the monitor, itself a call that re-schedules itself each tick (a LoopingCall), lists
// those still active().
#include <string>
#include <utility>
#include <vector>

#include "demo.hpp"
#include "models/callbacks/reactor.hpp"
#include "spec.hpp"

namespace cmbench::demos::monitor {

using namespace cmbench::callbacks;  // from twisted.internet import ...
using cmbench::callbacks::Reactor;

namespace {

using Calls = std::vector<std::pair<std::string, DelayedCall>>;

// One tick of the monitor: prints the calls still pending, then comes back in half a unit,
// or fires `done` once none is left.
void tick(Reactor& reactor, const Calls& calls, Deferred<void> done) {
  int alive = 0;
  std::string names;
  for (const auto& [name, call] : calls)
    if (call.active()) {
      ++alive;
      names += (names.empty() ? "" : " ") + name;
    }
  say("ps: {} alive: {}", alive, names);
  if (alive == 0) return done.callback();
  reactor.call_later(units(0.5), [&reactor, &calls, done] { tick(reactor, calls, done); });
}

}  // namespace

void callbacks() {
  Calls calls;
  react([&calls](Reactor& reactor) {
    for (int n = 1; n <= 5; ++n)
      calls.emplace_back("worker-" + std::to_string(n),
                         reactor.call_later(units(n), [n] { say("worker-{} finished", n); }));
    Deferred<void> done;
    reactor.call_later(units(0.25), [&reactor, &calls, done] { tick(reactor, calls, done); });
    return done.add_callback([] { say("total {:.2f} s", elapsed_s()); });
  });
}

}  // namespace cmbench::demos::monitor
