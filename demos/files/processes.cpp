// files, processes: multiprocessing.Pool(3).map(process_file, files). Each worker is a
// forked process that runs blocking::process_file (spec.cpp) for the file it is sent;
// map returns what they wrote, in the files' order. A worker that fails comes back as the
// pool's ChildError, raised by map.
#include "demo.hpp"
#include "models/processes/pool.hpp"
#include "spec.hpp"

namespace mp = cmbench::processes;  // import multiprocessing as mp

namespace cmbench::demos::files {

void processes() {
  const Workdir dir = make_inputs();
  {
    // The workers are forked here, each with a copy of `dir` (the same path) and of the
    // names' literals, which is why a string_view can be sent to them.
    mp::Pool pool(inputs.size(),
                  [&dir](std::string_view name) { return blocking::process_file(dir, name); });
    pool.map(inputs);
  }  // the workers are stopped and reaped
  const std::string first = output_name(inputs[0]);
  say("{} begins: {}", first, first_line(read_text(dir / first)));
  check_outputs(dir);
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::files
