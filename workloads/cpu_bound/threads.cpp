// cpu_bound, threads: a tbb::task_group with one task per chunk, as one would submit CPU
// work to a concurrent.futures executor. TBB's workers (one per core) steal the tasks, so
// K chunks take about ⌈K / cores⌉ chunk times. Unlike CPython's threads, there is no GIL:
// C++ threads compute in parallel.
#include <tbb/task_group.h>

#include "spec.hpp"

namespace cmbench::cpu_bound {

Result threads(const Params& p) {
  Result results(p.chunks.size());
  tbb::task_group tasks;
  for (std::size_t i = 0; i < p.chunks.size(); ++i)
    tasks.run([&results, &p, i] { results[i] = run_chunk(p.chunks[i]); });
  tasks.wait();  // also rethrows the first exception a task threw
  return results;
}

}  // namespace cmbench::cpu_bound
