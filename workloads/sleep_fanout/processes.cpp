// sleep_fanout, processes: one forked Process per task, as with multiprocessing.Process.
// Each child sleeps and sends its span back through a pipe; the parent joins them in call
// order. A fork costs ≈ 0.3 ms here, so starting the tasks soon costs more than the wait.
#include <thread>

#include "models/processes/process.hpp"
#include "spec.hpp"

namespace mp = cmbench::processes;  // as in `import multiprocessing as mp`

namespace cmbench::sleep_fanout {

Result processes(const Params& p) {
  std::vector<mp::Process<Span>> children;
  children.reserve(p.waits.size());
  for (auto wait : p.waits) {
    children.emplace_back([wait] {
      Span s{monotonic_ns(), 0};
      std::this_thread::sleep_for(wait);
      s.end_ns = monotonic_ns();
      return s;
    });
  }
  Result spans;
  spans.reserve(children.size());
  for (auto& child : children) spans.push_back(child.join());
  return spans;
}

}  // namespace cmbench::sleep_fanout
