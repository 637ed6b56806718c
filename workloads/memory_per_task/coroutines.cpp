// memory_per_task, coroutines: asyncio's way to make N tasks wait for one thing. Each task
// is a coroutine that awaits event.wait(); create_task starts it, and the main task yields
// (sleep(0)) until all of them have reached their await. While they wait, a task is its
// coroutine frame (the awaiter and the task's state live in it) and its handle in the
// gather's list: no stack, no thread, no timer.
#include <chrono>

#include "footprint.hpp"
#include "models/coroutines/event.hpp"
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/gather.hpp"
#include "models/coroutines/sleep.hpp"
#include "spec.hpp"

namespace cmbench::memory_per_task {
namespace {

using coroutines::Task;

struct Counts {
  std::uint64_t waiting = 0;
  std::uint64_t finished = 0;
};

Task<void> waiter(coroutines::Event& event, Counts& counts) {
  ++counts.waiting;
  co_await event.wait();
  ++counts.finished;
}

Task<Result> main_task(const Params& p, coroutines::Event& event, Counts& counts) {
  Footprint footprint(p);
  std::vector<Task<void>> tasks;
  tasks.reserve(p.n);
  for (std::uint64_t i = 0; i < p.n; ++i)
    tasks.push_back(coroutines::create_task(waiter(event, counts)));
  while (counts.waiting < p.n)
    co_await coroutines::sleep(std::chrono::nanoseconds(0));  // let each reach its wait

  Result r = footprint.read(counts.waiting);
  event.set();
  co_await coroutines::gather(std::move(tasks));
  r.finished = counts.finished;
  r.peak_rss_bytes = footprint.peak_rss();
  co_return r;
}

}  // namespace

Result coroutines(const Params& p) {
  // Outside the loop: a run that fails leaves tasks waiting on the event, and run()
  // cancels them as it ends, which takes each one off the event's list.
  coroutines::Event event;
  Counts counts;
  return coroutines::run(main_task(p, event, counts));
}

}  // namespace cmbench::memory_per_task
