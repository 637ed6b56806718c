// memory_per_task, threads: a thread per task, as with threading.Thread, each blocked in
// event.wait() on one threading.Event. The main thread waits until every worker has started
// waiting, reads the memory, sets the event and joins them all. Each std::jthread gets
// glibc's default stack: 8 MiB reserved (RLIMIT_STACK), of which only the pages its frames,
// its TLS and its thread descriptor touch become resident; the kernel adds a 16 KiB kernel
// stack and its task structures, which is the kernel share the cell reports.
#include <atomic>
#include <thread>

#include "footprint.hpp"
#include "models/threads/event.hpp"
#include "spec.hpp"

namespace cmbench::memory_per_task {

Result threads(const Params& p) {
  Footprint footprint(p);
  threads::Event event;
  std::atomic<std::uint64_t> waiting{0}, finished{0};
  Result r;
  {
    std::vector<std::jthread> workers;
    // However this block is left (a thread that could not start, a failed reading), the
    // event is set before the workers are joined: a worker still waiting would never let
    // its join return. Declared after `workers`, so destroyed before them.
    struct SetOnExit {
      threads::Event& event;
      ~SetOnExit() { event.set(); }
    } release{event};

    workers.reserve(p.n);
    for (std::uint64_t i = 0; i < p.n; ++i)
      workers.emplace_back([&] {
        waiting.fetch_add(1);
        event.wait();
        finished.fetch_add(1);
      });
    while (waiting.load() < p.n) std::this_thread::sleep_for(std::chrono::milliseconds(1));

    r = footprint.read(waiting.load());
    r.kernel_bytes = footprint.kernel_growth();
  }  // set, then joined
  r.finished = finished.load();
  r.peak_rss_bytes = footprint.peak_rss();
  return r;
}

}  // namespace cmbench::memory_per_task
