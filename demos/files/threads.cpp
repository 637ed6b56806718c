// files, threads: a thread per file, as ThreadPoolExecutor().map(process_file, files)
// would run them (std::async with launch::async is a thread each, and its future carries
// the thread's exception back, as the executor's does). The same blocking::process_file as the
// sequential version (spec.cpp): each blocks only its own thread, so the files' reads and writes
// overlap, each file on a lane of its own.
#include <future>
#include <vector>

#include "demo.hpp"
#include "spec.hpp"

namespace cmbench::demos::files {

void threads() {
  const Workdir dir = make_inputs();
  {
    std::vector<std::future<std::size_t>> jobs;
    for (std::string_view name : inputs)
      jobs.push_back(std::async(std::launch::async, blocking::process_file, std::cref(dir), name));
    for (auto& job : jobs) job.get();  // a thread's exception is raised here
  }
  const std::string first = output_name(inputs[0]);
  say("{} begins: {}", first, first_line(read_text(dir / first)));
  check_outputs(dir);
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::files
