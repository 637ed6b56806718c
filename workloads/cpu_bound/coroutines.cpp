// cpu_bound, coroutines: two asyncio programs. `coroutines` hands each chunk to a thread
// with to_thread, the idiomatic way to keep CPU work off the loop: the chunks run on the
// reactor's offload threads, in parallel, and gather collects them in order.
// `coroutines_on_loop` is what one writes without it: a coroutine per chunk that computes
// directly. gather still makes them tasks, but a task only lets others run where it awaits,
// and these never await, so the chunks run one after another on the loop thread:
// concurrency without parallelism, no faster than sequential.
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/gather.hpp"
#include "models/coroutines/to_thread.hpp"
#include "spec.hpp"

namespace cmbench::cpu_bound {
namespace {

using coroutines::Task;

Task<ChunkResult> in_thread(Chunk c) {
  auto work = [c] { return run_chunk(c); };  // named, not a temporary (GCC PR 100611)
  co_return co_await coroutines::to_thread(work);
}

Task<ChunkResult> on_loop(Chunk c) {
  co_return run_chunk(c);
}

Task<Result> all_chunks(const Params& p, Task<ChunkResult> (*chunk)(Chunk)) {
  std::vector<Task<ChunkResult>> tasks;
  for (const Chunk& c : p.chunks) tasks.push_back(chunk(c));
  co_return co_await coroutines::gather(std::move(tasks));
}

}  // namespace

Result coroutines(const Params& p) {
  return coroutines::run(all_chunks(p, in_thread));
}

Result coroutines_on_loop(const Params& p) {
  return coroutines::run(all_chunks(p, on_loop));
}

}  // namespace cmbench::cpu_bound
