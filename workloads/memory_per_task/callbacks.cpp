// memory_per_task, callbacks: Twisted has no Event class; code that lets many callers wait
// for one thing keeps a list of Deferreds, hands one to each caller, and fires them all when
// the thing happens (as DeferredLock and Twisted's one-shot observers do). Each task is such
// a Deferred with its callback added; a delayed call fires the list on the reactor's next
// turn, and gather_results fires once every task's callback has run. A waiting task is one
// Deferred's chain block (its first callback held inside) and two handles: no stack.
#include <chrono>
#include <optional>

#include "footprint.hpp"
#include "models/callbacks/deferred_list.hpp"
#include "models/callbacks/reactor.hpp"
#include "spec.hpp"

namespace cmbench::memory_per_task {

using namespace cmbench::callbacks;  // the model's names, as a Twisted module imports them
using cmbench::callbacks::Reactor;   // (Twisted's reactor, not the core's cmbench::Engine)

Result callbacks(const Params& p) {
  Result r;
  std::uint64_t finished = 0;
  std::vector<Deferred<void>> observers;  // the event: one Deferred per waiter
  std::optional<Footprint> footprint;     // from when the reactor runs
  react([&](Reactor& reactor) {
    footprint.emplace(p);
    std::vector<Deferred<bool>> tasks;
    observers.reserve(p.n);
    tasks.reserve(p.n);
    for (std::uint64_t i = 0; i < p.n; ++i) {
      Deferred<void> d;
      tasks.push_back(d.add_callback([&finished] {
        ++finished;
        return true;
      }));
      observers.push_back(std::move(d));
    }

    r = footprint->read(observers.size());
    reactor.call_later(std::chrono::seconds(0), [&observers] {
      for (auto& d : observers) d.callback();
    });
    return gather_results(std::move(tasks));
  });
  r.finished = finished;
  r.peak_rss_bytes = footprint->peak_rss();
  return r;
}

}  // namespace cmbench::memory_per_task
