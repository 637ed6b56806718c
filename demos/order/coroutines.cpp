// order, coroutines: asyncio. gather() returns the results in call order. wait() with
// FIRST_COMPLETED, in a loop, hands over each task as it finishes (what as_completed
// does). And create_task starts a task without waiting for it: main goes on with its own
// work, and its awaits give the loop to the tasks.
#include "demo.hpp"
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/gather.hpp"
#include "models/coroutines/sleep.hpp"
#include "models/coroutines/wait.hpp"
#include "spec.hpp"

namespace cmbench::demos::order {

namespace {

namespace asyncio = cmbench::coroutines;

asyncio::Task<int> task(int n, double wait) {
  say("Task {} started", n);
  co_await asyncio::sleep(units(wait));
  say("Task {} finished", n);
  co_return n;
}

asyncio::Task<void> main_task() {
  say("-- results in call order");
  auto results = co_await asyncio::gather(task(1, 2), task(2, 3), task(3, 1));
  say("results in call order: {}, {}, {}", std::get<0>(results), std::get<1>(results),
      std::get<2>(results));

  say("-- results as they complete");
  std::vector<asyncio::Task<int>> pending = {asyncio::create_task(task(1, 2)),
                                             asyncio::create_task(task(2, 3)),
                                             asyncio::create_task(task(3, 1))};
  while (!pending.empty()) {
    auto [done, still_pending] =
        co_await asyncio::wait(std::move(pending), asyncio::FIRST_COMPLETED);
    for (auto& t : done) say("got result {}", t.result());
    pending = std::move(still_pending);
  }

  say("-- main keeps working");
  auto t1 = asyncio::create_task(task(1, 2));
  auto t2 = asyncio::create_task(task(2, 3));
  auto t3 = asyncio::create_task(task(3, 1));
  say("main working");  // before the tasks start: create_task only schedules them
  co_await asyncio::sleep(units(1.5));
  say("main done working");
  co_await asyncio::gather(t1, t2, t3);
  say("total {:.2f} s", elapsed_s());
}

}  // namespace

void coroutines() {
  asyncio::run(main_task());
}

}  // namespace cmbench::demos::order
