// sleep_fanout, coroutines: asyncio's first example, in C++20. A task is a coroutine that
// notes the time, awaits sleep(d) and notes it again; gather makes each one a task, runs
// them all at once and returns their spans in call order, whatever order they finish in;
// run() drives the loop until the gather is done. A waiting task is its coroutine frame
// and one timer: no stack, no thread. `coroutines_pooled` is the same program with its
// frames taken from the frame pool instead of operator new.
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/gather.hpp"
#include "models/coroutines/sleep.hpp"
#include "spec.hpp"

namespace cmbench::sleep_fanout {
namespace {

using coroutines::Task;

Task<Span> task(std::chrono::microseconds wait) {
  const std::int64_t start = monotonic_ns();
  co_await coroutines::sleep(wait);
  co_return Span{start, monotonic_ns()};
}

Task<Result> fan_out(const Params& p) {
  std::vector<Task<Span>> tasks;
  tasks.reserve(p.waits.size());
  for (auto wait : p.waits) tasks.push_back(task(wait));
  co_return co_await coroutines::gather(std::move(tasks));
}

}  // namespace

Result coroutines(const Params& p) {
  return coroutines::run(fan_out(p));
}

Result coroutines_pooled(const Params& p) {
  return coroutines::run(fan_out(p), {.frame_pool = true});
}

}  // namespace cmbench::sleep_fanout
