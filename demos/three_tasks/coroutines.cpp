// three_tasks, coroutines: the tutorial's asyncio version. Each task is a coroutine that
// awaits sleep(); gather() runs the three at once and run() drives the event loop until
// they are all done. At each await the task gives the thread back to the loop, which runs
// whichever task is ready: one thread, three tasks, taking turns.
#include "demo.hpp"
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/gather.hpp"
#include "models/coroutines/sleep.hpp"
#include "spec.hpp"

namespace cmbench::demos::three_tasks {

namespace {

namespace asyncio = cmbench::coroutines;

asyncio::Task<void> task(int n, double wait) {
  say("Task {} started", n);
  co_await asyncio::sleep(units(wait));
  say("Task {} finished", n);
}

asyncio::Task<void> main_task() {
  co_await asyncio::gather(task(1, 2), task(2, 3), task(3, 1));
  say("total {:.2f} s", elapsed_s());
}

}  // namespace

void coroutines() {
  asyncio::run(main_task());
}

}  // namespace cmbench::demos::three_tasks
