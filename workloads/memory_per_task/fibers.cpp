// memory_per_task, fibers: gevent's way. Each task is a greenlet blocked in event.wait() as
// if it were a thread; the main greenlet spawns them all, sleeps (gevent.sleep(0), a yield)
// until every one has parked, then sets the event and joinall()s them. A parked greenlet
// is its stack (16 KiB reserved, the pages its frames touched resident) and its Greenlet
// object.
#include "models/fibers/fibers.hpp"
#include "footprint.hpp"
#include "spec.hpp"

namespace cmbench::memory_per_task {

Result fibers(const Params& p) {
  // Outside the hub: a run that fails leaves greenlets waiting on the event, and the hub
  // kills them as it closes, which takes each one off the event's queue.
  fibers::Event event;
  std::uint64_t waiting = 0, finished = 0;  // greenlets of one hub never run at once
  return fibers::run([&] {
    Footprint footprint(p);
    std::vector<fibers::Greenlet<void>> tasks;
    tasks.reserve(p.n);
    for (std::uint64_t i = 0; i < p.n; ++i)
      tasks.push_back(fibers::spawn([&] {
        ++waiting;
        event.wait();
        ++finished;
      }));
    while (waiting < p.n) fibers::sleep();  // let each one run up to its wait

    Result r = footprint.read(waiting);
    event.set();
    fibers::joinall(tasks);
    r.finished = finished;
    r.peak_rss_bytes = footprint.peak_rss();
    return r;
  });
}

}  // namespace cmbench::memory_per_task
