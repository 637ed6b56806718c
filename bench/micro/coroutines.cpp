// The coroutines model's own rows beside the floors and asio of coroutine_references.cpp,
// all in one run:
//   task_pingpong/coroutines  — two tasks handing an int back and forth through two Queues,
//                               every hand-off a wake-up through the event loop's ready queue
//                               (the same exchange as the floor's direct transfer and asio's
//                               channels). Items: round trips.
//   create_task/coroutines    — co_await create_task(empty()): a frame, a task scheduled,
//                               its step run by the loop, the awaiting task woken. Items: tasks.
//   skynet/coroutines         — the 10-ary tree of 1 000 000 leaves, each node making its ten
//                               children tasks and gathering them. Items: leaves.
//   …-pooled                  — the same with the frame pool (models/coroutines/frame_pool.hpp)
//                               instead of operator new;
//   …-turns                   — the same with direct switches off (EventLoop::
//                               set_direct_switch): every step returns to the loop, which
//                               starts the next; what the direct switch saves, in one run;
//   …-eager                   — the same with eager tasks (asyncio 3.12's eager_task_factory:
//                               create_task runs the first step at once), so that skynet runs
//                               depth first, as the floor does, instead of breadth first.
// Why skynet is slow by default: create_task queues every new task (FIFO, as asyncio), so
// all 1 111 111 tasks of the tree exist before the first leaf runs: hundreds of MB of frames,
// each touched at creation, at its step and at its end, long after it left the caches. The
// floor awaits each child at once and never has more than seven frames alive.
// Not for: I/O or timers (nothing here waits on the kernel), nor sanitizer builds (see
// coroutine_references.cpp). Every row checks its answer and throws if it is wrong.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "micro.hpp"
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/gather.hpp"
#include "models/coroutines/queue.hpp"

namespace cmbench::micro {
namespace {

using coroutines::Task;

// --- ping-pong ---------------------------------------------------------------------------

// Each side adds one and hands the value on, `rounds` times: the total is 2·rounds.
Task<void> ping(coroutines::Queue<std::int64_t>& out, coroutines::Queue<std::int64_t>& in,
                std::int64_t rounds, std::int64_t& total) {
  std::int64_t v = 0;
  for (std::int64_t i = 0; i < rounds; ++i) {
    co_await out.put(v + 1);
    v = co_await in.get();
  }
  total = v;
}

Task<void> pong(coroutines::Queue<std::int64_t>& in, coroutines::Queue<std::int64_t>& out,
                std::int64_t rounds) {
  for (std::int64_t i = 0; i < rounds; ++i) co_await out.put(co_await in.get() + 1);
}

Task<std::int64_t> pingpong(std::int64_t rounds) {
  coroutines::Queue<std::int64_t> there(1), back(1);
  std::int64_t total = 0;
  co_await coroutines::gather(ping(there, back, rounds, total), pong(there, back, rounds));
  co_return total;
}

}  // namespace

std::int64_t run_pingpong(std::int64_t rounds, bool pooled, bool direct_switch) {
  return coroutines::run(pingpong(rounds), {.frame_pool = pooled, .direct_switch = direct_switch});
}

namespace {

template <bool Pooled, bool Direct = true>
void task_pingpong(benchmark::State& state) {
  constexpr std::int64_t rounds = 10'000;
  while (state.KeepRunningBatch(rounds))
    check(run_pingpong(rounds, Pooled, Direct), 2 * rounds, "task_pingpong/coroutines");
  state.SetItemsProcessed(state.iterations());
}

// --- create_task + await -----------------------------------------------------------------

Task<int> empty() {
  co_return 1;
}

Task<std::int64_t> create_and_await(std::int64_t n) {
  std::int64_t sum = 0;
  for (std::int64_t i = 0; i < n; ++i) sum += co_await coroutines::create_task(empty());
  co_return sum;
}

template <bool Pooled, bool Eager = false, bool Direct = true>
void create_task(benchmark::State& state) {
  constexpr std::int64_t batch = 10'000;
  while (state.KeepRunningBatch(batch))
    check(coroutines::run(create_and_await(batch),
                          {.frame_pool = Pooled, .eager_tasks = Eager, .direct_switch = Direct}),
          batch, "create_task/coroutines");
  state.SetItemsProcessed(state.iterations());
}

// --- skynet ------------------------------------------------------------------------------

Task<std::int64_t> skynet(std::int64_t num, int depth) {
  if (depth == 0) co_return num;
  std::vector<Task<std::int64_t>> children;
  children.reserve(10);
  for (int i = 0; i < 10; ++i) children.push_back(skynet(num * 10 + i, depth - 1));
  std::int64_t sum = 0;
  for (std::int64_t v : co_await coroutines::gather(std::move(children))) sum += v;
  co_return sum;
}

constexpr int skynet_depth = 6;
constexpr std::int64_t skynet_leaves = 1'000'000;
constexpr std::int64_t skynet_sum = skynet_leaves * (skynet_leaves - 1) / 2;

template <bool Pooled, bool Eager = false>
void skynet_run(benchmark::State& state) {
  for (auto _ : state)
    check(coroutines::run(skynet(0, skynet_depth), {.frame_pool = Pooled, .eager_tasks = Eager}),
          skynet_sum, "skynet/coroutines");
  state.SetItemsProcessed(state.iterations() * skynet_leaves);
}

}  // namespace

void register_coroutines() {
  benchmark::RegisterBenchmark("micro/task_pingpong/coroutines", task_pingpong<false>);
  benchmark::RegisterBenchmark("micro/task_pingpong/coroutines-pooled", task_pingpong<true>);
  benchmark::RegisterBenchmark("micro/task_pingpong/coroutines-turns", task_pingpong<false, false>);
  benchmark::RegisterBenchmark("micro/create_task/coroutines", create_task<false>);
  benchmark::RegisterBenchmark("micro/create_task/coroutines-pooled", create_task<true>);
  benchmark::RegisterBenchmark("micro/create_task/coroutines-eager", create_task<false, true>);
  benchmark::RegisterBenchmark("micro/create_task/coroutines-turns",
                               create_task<false, false, false>);
  benchmark::RegisterBenchmark("micro/skynet/coroutines", skynet_run<false>)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("micro/skynet/coroutines-pooled", skynet_run<true>)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("micro/skynet/coroutines-eager", skynet_run<false, true>)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("micro/skynet/coroutines-eager-pooled", skynet_run<true, true>)
      ->Unit(benchmark::kMillisecond);
}

}  // namespace cmbench::micro
