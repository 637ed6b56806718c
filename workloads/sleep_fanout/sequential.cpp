// sleep_fanout, sequential: a plain loop. Each wait blocks the only thread, so the waits
// add up: N·d.
#include <thread>

#include "spec.hpp"

namespace cmbench::sleep_fanout {

Result sequential(const Params& p) {
  Result spans;
  spans.reserve(p.waits.size());
  for (auto wait : p.waits) {
    Span s{monotonic_ns(), 0};
    std::this_thread::sleep_for(wait);
    s.end_ns = monotonic_ns();
    spans.push_back(s);
  }
  return spans;
}

}  // namespace cmbench::sleep_fanout
