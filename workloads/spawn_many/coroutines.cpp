// spawn_many, coroutines: what an asyncio user writes. Each task is a coroutine made a Task
// by create_task, which queues its first step on the loop; gather waits for them all and
// hands back their results in call order. A skynet node creates its ten children the same
// way and sums what gather returns. The default order is asyncio's: a new task waits in the
// loop's FIFO behind every task created before it, so skynet runs breadth first and the
// whole tree is alive at once.
//
// The variants are the same program under other loop options: `eager` starts each task at
// once inside create_task (asyncio 3.12's eager_task_factory), so a task that never waits
// finishes before create_task returns and skynet runs depth first, as the floor does;
// `eager_pooled` also takes every frame from the frame pool instead of operator new.
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/gather.hpp"
#include "spec.hpp"

namespace cmbench::spawn_many {
namespace {

using coroutines::create_task;
using coroutines::gather;
using coroutines::Task;

Task<std::int64_t> task(std::int64_t i) {
  co_return i;
}

Task<std::vector<std::int64_t>> flat(std::int64_t n) {
  std::vector<Task<std::int64_t>> tasks;
  tasks.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) tasks.push_back(create_task(task(i)));
  co_return co_await gather(std::move(tasks));
}

Task<std::int64_t> skynet(std::int64_t num, int depth) {
  if (depth == 0) co_return num;
  std::vector<Task<std::int64_t>> children;
  children.reserve(10);
  for (int i = 0; i < 10; ++i) children.push_back(create_task(skynet(num * 10 + i, depth - 1)));
  std::int64_t sum = 0;
  for (std::int64_t v : co_await gather(std::move(children))) sum += v;
  co_return sum;
}

Result run(const Params& p, coroutines::RunOptions options) {
  Result r;
  if (p.shape == Shape::skynet)
    r.sum = coroutines::run(skynet(0, p.depth), options);
  else
    r.values = coroutines::run(flat(p.n), options);
  return r;
}

}  // namespace

Result coroutines(const Params& p) {
  return run(p, {});
}

Result coroutines_eager(const Params& p) {
  return run(p, {.eager_tasks = true});
}

Result coroutines_eager_pooled(const Params& p) {
  return run(p, {.frame_pool = true, .eager_tasks = true});
}

}  // namespace cmbench::spawn_many
