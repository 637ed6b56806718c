// sleep_fanout, threads: one OS thread per task, as with threading.Thread. Every thread
// blocks in its own sleep, so the waits overlap; the cost is a thread start (≈ 30 µs here:
// clone, a stack mapping, a scheduler wake-up) per task.
#include <thread>

#include "spec.hpp"

namespace cmbench::sleep_fanout {

Result threads(const Params& p) {
  Result spans(p.waits.size());
  {
    std::vector<std::jthread> workers;
    workers.reserve(p.waits.size());
    for (std::size_t i = 0; i < p.waits.size(); ++i) {
      workers.emplace_back([&spans, i, wait = p.waits[i]] {
        Span s{monotonic_ns(), 0};
        std::this_thread::sleep_for(wait);
        s.end_ns = monotonic_ns();
        spans[i] = s;  // each thread writes its own slot; join() publishes it
      });
    }
  }  // jthreads join here
  return spans;
}

}  // namespace cmbench::sleep_fanout
