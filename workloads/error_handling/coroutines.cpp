// error_handling, coroutines: asyncio. A task is a coroutine that sleeps and then returns or
// raises; its `finally:` is an object whose destructor runs however the coroutine ends,
// CancelledError included. Collecting is gather(return_exceptions=True): one Outcome per
// task, in call order. Cancelling on the first failure is a TaskGroup: the first task to
// fail cancels every other, each sees CancelledError at its await and cleans up, and join()
// raises an ExceptionGroup of the errors once all of them have finished.
#include "models/coroutines/errors.hpp"
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/gather.hpp"
#include "models/coroutines/sleep.hpp"
#include "models/coroutines/task_group.hpp"
#include "spec.hpp"

namespace cmbench::error_handling {
namespace {

using coroutines::Task;

Task<std::int64_t> task(const Params& p, std::size_t i, TaskRecord& t) {
  CleanUp clean_up(t);
  try {
    co_await coroutines::sleep(p.waits[i]);
  } catch (const coroutines::CancelledError&) {
    t.ending = Ending::cancelled;
    throw;  // asyncio: a cancelled task re-raises CancelledError after its clean-up
  }
  co_return finish(p, i);
}

Task<void> collect(const Params& p, Result& r) {
  std::vector<Task<std::int64_t>> tasks;
  for (std::size_t i = 0; i < p.waits.size(); ++i) tasks.push_back(task(p, i, r.tasks[i]));
  auto outcomes = co_await coroutines::gather(coroutines::return_exceptions, std::move(tasks));
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    TaskRecord& t = r.tasks[i];
    if (outcomes[i].ok()) {
      t.ending = Ending::value;
      t.value = outcomes[i].value();
    } else {
      t.ending = Ending::error;
      t.error = what(outcomes[i].exception());
      r.errors.push_back(t.error);
    }
  }
}

Task<void> cancel_on_first(const Params& p, Result& r) {
  std::vector<Task<std::int64_t>> tasks;
  coroutines::TaskGroup tg;  // async with asyncio.TaskGroup() as tg:
  for (std::size_t i = 0; i < p.waits.size(); ++i)
    tasks.push_back(tg.create_task(task(p, i, r.tasks[i])));
  try {
    co_await tg.join();
  } catch (const coroutines::ExceptionGroup& group) {  // except* TaskFailed
    for (const auto& e : group.exceptions()) r.errors.push_back(what(e));
  }
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    TaskRecord& t = r.tasks[i];
    if (tasks[i].cancelled()) continue;  // the task noted it
    if (auto e = tasks[i].exception()) {
      t.ending = Ending::error;
      t.error = what(e);
    } else {
      t.ending = Ending::value;
      t.value = tasks[i].result();
    }
  }
}

}  // namespace

Result coroutines(const Params& p) {
  Result r;
  r.tasks.resize(p.waits.size());
  coroutines::run(p.policy == Policy::collect ? collect(p, r) : cancel_on_first(p, r));
  return r;
}

}  // namespace cmbench::error_handling
