// cpu_bound, futures: two Tornado programs. `futures` hands each chunk to the executor
// (IOLoop.run_in_executor), the idiomatic way to keep CPU work off the loop: the chunks run
// on the reactor's offload threads, in parallel, and multi() gathers their futures.
// `futures_on_loop` runs the chunks on the loop thread itself, one callback each; a chunk
// queues the next with add_callback, so the loop gets a turn (timers, I/O) between chunks,
// but never runs two at once: concurrency without parallelism, no faster than sequential.
// Both run on the thread's own loop (IOLoop.current(), as a Tornado program does).
#include "models/futures/io_loop.hpp"
#include "models/futures/multi.hpp"
#include "spec.hpp"

namespace cmbench::cpu_bound {
namespace {

using futures::Future;
using futures::IOLoop;

// Runs chunk i now and queues chunk i + 1 for the loop's next turn.
void run_chunks_from(IOLoop& loop, const Params& p, std::size_t i,
                     std::vector<Future<ChunkResult>>& chunks) {
  chunks[i].set_result(run_chunk(p.chunks[i]));
  if (i + 1 < chunks.size())
    loop.add_callback([&loop, &p, i, &chunks] { run_chunks_from(loop, p, i + 1, chunks); });
}

}  // namespace

Result futures(const Params& p) {
  IOLoop& loop = IOLoop::current();
  return loop.run_sync([&] {
    std::vector<Future<ChunkResult>> chunks;
    for (const Chunk& c : p.chunks)
      chunks.push_back(loop.run_in_executor([c] { return run_chunk(c); }));
    return futures::multi(std::move(chunks));
  });
}

Result futures_on_loop(const Params& p) {
  IOLoop& loop = IOLoop::current();
  std::vector<Future<ChunkResult>> chunks(p.chunks.size());  // resolved one per turn
  return loop.run_sync([&] {
    if (!chunks.empty())
      loop.add_callback([&loop, &p, &chunks] { run_chunks_from(loop, p, 0, chunks); });
    return futures::multi(chunks);
  });
}

}  // namespace cmbench::cpu_bound
