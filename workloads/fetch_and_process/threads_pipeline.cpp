// fetch_and_process, threads-pipeline: the same pipeline as TBB's parallel_pipeline, the
// C++ way to say "these stages, this many items in flight". A serial input stage hands out
// the item numbers, a parallel stage fetches (blocking calls with a socket timeout), a
// parallel stage processes. The pipeline's tokens, Q of them, bound the items alive at
// once, so no more than Q ever wait between the stages: the bounded queue is implicit.
//
// TBB sizes its pool for CPU work, one thread per core; a stage that blocks in recv holds
// a thread. So the pool is widened to P + C threads for the run (a global_control and an
// arena of that size), so that fetches can wait on the origin while others compute. TBB
// has no bound per stage: any of those threads may fetch or compute, so up to P + C of
// either run at once. The depth is counted by the stages themselves: up after a fetch,
// down when processing starts.
// A fetch that fails throws out of its stage: TBB cancels the pipeline and rethrows the
// FetchError from parallel_pipeline once the stages running have returned.
#include <tbb/global_control.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <mutex>

#include "spec.hpp"
#include "workloads/serving/fetch_blocking.hpp"

namespace cmbench::fetch_and_process {

Result threads_pipeline(const Params& p) {
  const int threads = static_cast<int>(p.producers + p.consumers);
  tbb::global_control wider(tbb::global_control::max_allowed_parallelism, threads);
  tbb::task_arena arena(threads);

  std::size_t next = 0;  // the serial stage's own
  std::atomic<std::size_t> depth{0}, max_depth{0};
  std::mutex m;
  Result r;

  auto hand_out = [&](tbb::flow_control& control) -> std::size_t {
    if (next == p.n) control.stop();
    return next++;
  };
  auto fetch = [&](std::size_t i) {
    serving::Fetched page = serving::fetch_blocking(p.port, i, p.timeout);
    std::size_t now = ++depth, seen = max_depth.load();
    while (now > seen && !max_depth.compare_exchange_weak(seen, now)) {
    }
    return Item{i, page.digest, page.span};
  };
  auto consume = [&](const Item& item) {
    --depth;
    Processed done = process(item, p.rounds);
    std::lock_guard lock(m);
    r.items.push_back(done);
  };

  arena.execute([&] {
    tbb::parallel_pipeline(
        p.capacity,
        tbb::make_filter<void, std::size_t>(tbb::filter_mode::serial_in_order, hand_out) &
            tbb::make_filter<std::size_t, Item>(tbb::filter_mode::parallel, fetch) &
            tbb::make_filter<Item, void>(tbb::filter_mode::parallel, consume));
  });
  r.max_depth = max_depth.load();
  return r;
}

}  // namespace cmbench::fetch_and_process
