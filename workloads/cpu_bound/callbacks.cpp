// cpu_bound, callbacks: two ways a Twisted user runs CPU work.
//  - callbacks: deferToThread hands each chunk to the reactor's thread pool (one thread per
//    core) and gatherResults waits for them all. The loop thread stays free; the chunks run
//    in parallel, so K chunks take about ⌈K / cores⌉ chunk times.
//  - callbacks_on_loop: each chunk is a zero-delay deferLater, run by the reactor itself. All
//    K fall due together and run back to back in one pass over the due calls (as Twisted's
//    runUntilCurrent does), never in parallel: K chunks take K chunk times, as sequentially,
//    and while they run the loop answers nothing else. This is why Twisted code must not
//    compute on the reactor thread.
#include "models/callbacks/deferred_list.hpp"
#include "models/callbacks/reactor.hpp"
#include "spec.hpp"

namespace cmbench::cpu_bound {

using namespace cmbench::callbacks;  // the model's names, as a Twisted module imports them
using cmbench::callbacks::Reactor;   // (Twisted's reactor, not the core's cmbench::Engine)

Result callbacks(const Params& p) {
  return react([&p](Reactor& reactor) {
    std::vector<Deferred<ChunkResult>> chunks;
    for (const Chunk& chunk : p.chunks) chunks.push_back(reactor.defer_to_thread(run_chunk, chunk));
    return gather_results(std::move(chunks));
  });
}

Result callbacks_on_loop(const Params& p) {
  return react([&p](Reactor& reactor) {
    std::vector<Deferred<ChunkResult>> chunks;
    for (const Chunk& chunk : p.chunks)
      chunks.push_back(defer_later(reactor, std::chrono::seconds(0), run_chunk, chunk));
    return gather_results(std::move(chunks));
  });
}

}  // namespace cmbench::cpu_bound
