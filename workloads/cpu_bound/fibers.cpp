// cpu_bound, fibers: one gevent-style program, a greenlet per chunk whose values are
// collected in order, on two schedulers. `fibers` runs it on the work-stealing pool: two
// threads, each running greenlets and stealing from the other when idle, so the chunks
// run in parallel. `fibers_on_loop` runs it on one hub, as gevent would: a greenlet only
// yields where it blocks, and these never block, so the chunks run one after another,
// concurrency without parallelism, no faster than sequential.
#include "models/fibers/fibers.hpp"
#include "spec.hpp"

namespace cmbench::cpu_bound {
namespace {

Result all_chunks(const Params& p) {
  std::vector<fibers::Greenlet<ChunkResult>> tasks;
  tasks.reserve(p.chunks.size());
  for (const Chunk& c : p.chunks) tasks.push_back(fibers::spawn(run_chunk, c));
  Result results;
  results.reserve(tasks.size());
  for (auto& t : tasks) results.push_back(t.get());
  return results;
}

}  // namespace

Result fibers(const Params& p) {
  return fibers::run_work_stealing([&p] { return all_chunks(p); });
}

Result fibers_on_loop(const Params& p) {
  return fibers::run([&p] { return all_chunks(p); });
}

}  // namespace cmbench::cpu_bound
