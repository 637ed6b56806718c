// error_handling, callbacks: what a Twisted user writes. A task is Twisted's own deferLater:
// a Deferred fired by a delayed call, whose canceller cancels that call. Its clean-up is an
// addBoth, which runs on a value, an error or a cancellation alike. Collecting is
// DeferredList(consumeErrors=True): one (success, value-or-failure) pair per task, in call
// order. Cancelling on the first failure is gatherResults, which fails with the first
// failure, and an errback that cancel()s every task: each sibling's delayed call is
// removed and its Deferred fails with CancelledError at once, inside cancel(), so every
// sibling has stopped before the errback returns.
#include <vector>

#include "models/callbacks/deferred_list.hpp"
#include "models/callbacks/reactor.hpp"
#include "spec.hpp"

namespace cmbench::error_handling {
namespace {

using namespace cmbench::callbacks;  // the model's names, as a Twisted module imports them
using cmbench::callbacks::Reactor;   // (Twisted's reactor, not the core's cmbench::Engine)

// deferLater(reactor, wait, finish), cancellable; `call` is where its delayed call is kept.
Deferred<std::int64_t> task(Reactor& reactor, const Params& p, std::size_t i, TaskRecord& t,
                            DelayedCall& call) {
  t.span.start_ns = monotonic_ns();
  Deferred<std::int64_t> d([&call](Deferred<std::int64_t>&) { call.cancel(); });
  call = reactor.call_later(p.waits[i], [d, &p, i]() mutable {
    auto end = [&p, i] { return finish(p, i); };
    detail::fire_with_result(d, end);
  });
  return d.add_both([&t](auto outcome) {  // finally: a value or a Failure passes through
    end_clean_up(t);
    return outcome;
  });
}

// How task i ended, from the outcome its Deferred gave.
void record(TaskRecord& t, bool success, const std::variant<std::int64_t, Failure>& outcome) {
  if (success) {
    t.ending = Ending::value;
    t.value = std::get<std::int64_t>(outcome);
  } else if (const Failure& f = std::get<Failure>(outcome); f.check<CancelledError>()) {
    t.ending = Ending::cancelled;
  } else {
    t.ending = Ending::error;
    t.error = f.error_message();
  }
}

}  // namespace

Result callbacks(const Params& p) {
  Result r;
  r.tasks.resize(p.waits.size());
  std::vector<DelayedCall> calls(p.waits.size());
  react([&](Reactor& reactor) {
    std::vector<Deferred<std::int64_t>> tasks;
    for (std::size_t i = 0; i < p.waits.size(); ++i)
      tasks.push_back(task(reactor, p, i, r.tasks[i], calls[i]));
    if (p.policy == Policy::collect) {
      return DeferredList<std::int64_t>(std::move(tasks))
          .add_callback([&r](std::vector<ListEntry<std::int64_t>> results) {
            for (std::size_t i = 0; i < results.size(); ++i) {
              record(r.tasks[i], results[i].first, results[i].second);
              if (r.tasks[i].ending == Ending::error) r.errors.push_back(r.tasks[i].error);
            }
          });
    }
    // Each task's own ending, noted before the gathering consumes it.
    for (std::size_t i = 0; i < tasks.size(); ++i)
      tasks[i] = tasks[i].add_both([&t = r.tasks[i]](auto outcome) {
        if constexpr (std::is_same_v<decltype(outcome), Failure>)
          record(t, false, outcome);
        else
          record(t, true, outcome);
        return outcome;
      });
    return gather_results(tasks)
        .add_errback([&r, tasks](const Failure& first) mutable {
          r.errors.push_back(first.error_message());
          for (auto& t : tasks) t.cancel();  // the siblings' errbacks run here
          return std::vector<std::int64_t>{};
        })
        .add_callback([](const std::vector<std::int64_t>&) {});
  });
  return r;
}

}  // namespace cmbench::error_handling
