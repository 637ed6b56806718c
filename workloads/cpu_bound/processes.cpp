// cpu_bound, processes: Pool(cores).map(run_chunk, chunks), as with multiprocessing.Pool.
// Each worker is a forked process on its own core; chunks go out and results come back
// through pipes, in order. The pool's fork (≈ 0.3 ms per worker) is part of the time, as a
// `with Pool() as pool:` block is in Python.
#include <thread>

#include "models/processes/pool.hpp"
#include "spec.hpp"

namespace mp = cmbench::processes;  // as in `import multiprocessing as mp`

namespace cmbench::cpu_bound {

Result processes(const Params& p) {
  mp::Pool pool(std::thread::hardware_concurrency(), run_chunk);
  return pool.map(p.chunks);
}

}  // namespace cmbench::cpu_bound
