// memory_per_task, futures: Tornado without coroutines. The event is one Future that
// nobody has resolved yet (what tornado.locks.Event keeps inside); each task is `then` on
// it, a Future of its own whose continuation runs once the event's future resolves. A
// callback on the loop's next turn resolves it, and multi() resolves once every task has
// run. A waiting task is its future's state and the done-callback it left on the event's
// future: no stack.
#include <optional>

#include "footprint.hpp"
#include "models/futures/io_loop.hpp"
#include "models/futures/multi.hpp"
#include "spec.hpp"

namespace cmbench::memory_per_task {

using futures::Future;

Result futures(const Params& p) {
  auto& loop = futures::IOLoop::current();
  Result r;
  std::uint64_t waiting = 0, finished = 0;
  Future<void> event;
  std::optional<Footprint> footprint;  // from when the loop runs
  loop.run_sync([&] {
    footprint.emplace(p);
    std::vector<Future<void>> tasks;
    tasks.reserve(p.n);
    for (std::uint64_t i = 0; i < p.n; ++i) {
      tasks.push_back(event.then([&finished] { ++finished; }));
      ++waiting;
    }

    r = footprint->read(waiting);
    loop.add_callback([&event] { event.set_result(); });
    return futures::multi(std::move(tasks));
  });
  r.finished = finished;
  r.peak_rss_bytes = footprint->peak_rss();
  return r;
}

}  // namespace cmbench::memory_per_task
