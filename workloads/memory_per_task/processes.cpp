// memory_per_task, processes: a forked Process per task, as with multiprocessing.Process,
// each blocked reading one pipe: the event. Closing the pipe's write end sets it, since
// every child then reads end-of-file at once (each child first closes the copy of the write
// end it inherited). A second pipe carries one byte per child that has started waiting.
// A waiting child costs the pages it has written since the fork (its private pages, read
// from its smaps_rollup) and, in the kernel, its page tables and kernel stack.
#include "footprint.hpp"
#include "models/processes/pipe.hpp"
#include "models/processes/process.hpp"
#include "spec.hpp"

namespace mp = cmbench::processes;  // as in `import multiprocessing as mp`

namespace cmbench::memory_per_task {

Result processes(const Params& p) {
  Footprint footprint(p);
  mp::Pipe event = mp::make_pipe();
  mp::Pipe started = mp::make_pipe();
  std::vector<mp::Process<bool>> children;  // a child not joined is killed and reaped
  children.reserve(p.n);
  for (std::uint64_t i = 0; i < p.n; ++i)
    children.emplace_back([&] {
      event.write.reset();
      const char one = 1;
      mp::write_all(started.write.get(), &one, 1);
      started.write.reset();  // so that a child that dies early cannot keep the parent waiting
      char none;
      return mp::read_full(event.read.get(), &none, 1) == 0;  // end-of-file: the event is set
    });
  started.write.reset();
  std::vector<char> bytes(p.n);
  const std::size_t waiting = mp::read_full(started.read.get(), bytes.data(), bytes.size());

  Result r = footprint.read(waiting);
  std::int64_t children_bytes = 0;
  for (auto& child : children) children_bytes += private_bytes(child.pid());
  r.user_bytes += children_bytes;
  r.kernel_bytes = footprint.kernel_growth();
  event.write.reset();
  for (auto& child : children) r.finished += child.join() ? 1 : 0;
  r.peak_rss_bytes = footprint.peak_rss() + children_bytes;
  return r;
}

}  // namespace cmbench::memory_per_task
