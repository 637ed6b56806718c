// monitor, coroutines: the tutorial's monitor task. all_tasks() lists the loop's tasks not
// yet done and current_task() the one running (the monitor itself, when it asks); each
// task's repr gives its name and state, as aiomonitor's `ps` does.
#include <string>

#include "demo.hpp"
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/gather.hpp"
#include "models/coroutines/sleep.hpp"
#include "spec.hpp"

namespace cmbench::demos::monitor {

namespace {

namespace asyncio = cmbench::coroutines;

asyncio::Task<void> worker(int n) {
  co_await asyncio::sleep(units(n));
  say("worker-{} finished", n);
}

asyncio::Task<void> monitor() {
  co_await asyncio::sleep(units(0.25));  // ticks a quarter unit off the workers' ends
  for (;;) {
    int alive = 0;
    std::string workers, others;
    for (const auto& task : asyncio::all_tasks()) {
      if (task.name().starts_with("worker-")) {
        ++alive;
        workers += (workers.empty() ? "" : " ") + task.describe();  // <worker-1 waiting>
      } else {
        others += " " + task.describe();
      }
    }
    say("ps: {} alive: {} | current: {}; also{}", alive, workers, asyncio::current_task().name(),
        others);
    if (alive == 0) co_return;
    co_await asyncio::sleep(units(0.5));
  }
}

asyncio::Task<void> main_task() {
  auto ps = asyncio::create_task(monitor(), "monitor");
  std::vector<asyncio::Task<void>> workers;
  for (int n = 1; n <= 5; ++n)
    workers.push_back(asyncio::create_task(worker(n), "worker-" + std::to_string(n)));
  for (auto& w : workers) co_await w;
  co_await ps;
  say("total {:.2f} s", elapsed_s());
}

}  // namespace

void coroutines() {
  asyncio::run(main_task());
}

}  // namespace cmbench::demos::monitor
