// file_pipeline, threads: the loop's body on a pool of T threads, as with
//
//   with ThreadPoolExecutor(max_workers=T) as pool:
//       list(pool.map(process_file, names))
//
// Each worker blocks in its own read, write or fdatasync while the others go on, so up to
// T files are in the kernel at once. C++ threads have no GIL; the upper-casing runs in
// parallel too, though it is a small part of the time. map raises the first error in file
// order once the files before it are done; leaving the block joins the workers.
#include <ranges>

#include "file_pipeline/spec.hpp"
#include "models/threads/executor.hpp"

namespace cmbench::file_pipeline {

Files threads(const Params& p) {
  threads::ThreadPoolExecutor pool(p.workers);
  return pool.map([&p](std::size_t i) { return process_file(p, i); },
                  std::views::iota(std::size_t{0}, p.files));
}

}  // namespace cmbench::file_pipeline
