// file_pipeline, processes: multiprocessing's way,
//
//   with Pool(T) as pool:
//       pool.map(process_file, names)
//
// T forked workers each take file numbers from the pool's task pipe (a number, not a name:
// the pool's messages are fixed-size, and every worker knows the directory, forked from the
// parent) and do the whole file themselves; only when it ran comes back. The forks
// are part of the time, as a `with Pool()` block's are. A failed file comes back as the
// pool's ChildError, "child <pid>: <path>: <reason>", once the files already sent are done.
#include <numeric>
#include <vector>

#include "file_pipeline/spec.hpp"
#include "models/processes/pool.hpp"

namespace mp = cmbench::processes;  // as in `import multiprocessing as mp`

namespace cmbench::file_pipeline {

Files processes(const Params& p) {
  std::vector<std::size_t> names(p.files);
  std::iota(names.begin(), names.end(), std::size_t{0});
  mp::Pool pool(p.workers, [&p](std::size_t i) { return process_file(p, i); });
  return pool.map(names);
}

}  // namespace cmbench::file_pipeline
