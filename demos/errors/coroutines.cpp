// errors, coroutines: asyncio. gather(return_exceptions=True) returns each task's outcome,
// the exception included, in call order. A TaskGroup cancels the other tasks when one
// fails: each sees CancelledError where it awaits, its clean-up runs (catch, RAII), and
// join() raises an ExceptionGroup with the failure once every task has finished.
#include <stdexcept>

#include "demo.hpp"
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/gather.hpp"
#include "models/coroutines/sleep.hpp"
#include "models/coroutines/task_group.hpp"
#include "spec.hpp"

namespace cmbench::demos::errors {

namespace {

namespace asyncio = cmbench::coroutines;

asyncio::Task<int> task(int n, double wait) {
  say("Task {} started", n);
  try {
    co_await asyncio::sleep(units(wait));
  } catch (const asyncio::CancelledError&) {  // cancelled: clean up, and let it go on
    say("Task {} cancelled, cleaning up", n);
    throw;
  }
  if (n == 1) {
    say("Task 1 raises an error");
    throw std::runtime_error("error in Task 1");
  }
  say("Task {} finished", n);
  co_return n;
}

asyncio::Task<void> main_task() {
  say("-- errors collected with the results");
  std::vector<asyncio::Task<int>> tasks;
  for (int n = 1; n <= 3; ++n) tasks.push_back(task(n, n));  // task n waits n units
  auto results = co_await asyncio::gather(asyncio::return_exceptions, std::move(tasks));
  for (int n = 1; n <= 3; ++n) {
    auto& r = results[n - 1];
    if (r.ok())
      say("Task {} -> {}", n, r.value());
    else
      say("Task {} -> error: {}", n, asyncio::describe(r.exception()));
  }

  say("-- cancel the siblings on the first failure");
  try {
    asyncio::TaskGroup tg;  // async with asyncio.TaskGroup() as tg:
    for (int n = 1; n <= 3; ++n) tg.create_task(task(n, n));
    co_await tg.join();
  } catch (const asyncio::ExceptionGroup& eg) {
    say("first failure: {}", asyncio::describe(eg.exceptions().front()));
  }
  say("total {:.2f} s", elapsed_s());
}

}  // namespace

void coroutines() {
  asyncio::run(main_task());
}

}  // namespace cmbench::demos::errors
