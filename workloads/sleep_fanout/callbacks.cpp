// sleep_fanout, callbacks: what a Twisted user writes. Each task is a deferLater: a delayed
// call on the reactor whose Deferred fires with the task's Span once its wait is over;
// gatherResults collects the Spans in call order, and react() runs the reactor until that
// list fires. No task has a stack or a thread of its own: a waiting task is a timer entry and
// a Deferred (≈ 260 bytes in all), which is why 10^6 of them wait at once.
#include "models/callbacks/deferred_list.hpp"
#include "models/callbacks/reactor.hpp"
#include "spec.hpp"

namespace cmbench::sleep_fanout {

using namespace cmbench::callbacks;  // the model's names, as a Twisted module imports them
using cmbench::callbacks::Reactor;   // (Twisted's reactor, not the core's cmbench::Engine)

Result callbacks(const Params& p) {
  return react([&p](Reactor& reactor) {
    std::vector<Deferred<Span>> tasks;
    tasks.reserve(p.waits.size());
    for (auto wait : p.waits) {
      const std::int64_t start = monotonic_ns();  // the task starts when it is scheduled
      tasks.push_back(defer_later(reactor, wait, [start] { return Span{start, monotonic_ns()}; }));
    }
    return gather_results(std::move(tasks));
  });
}

}  // namespace cmbench::sleep_fanout
