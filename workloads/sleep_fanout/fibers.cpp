// sleep_fanout, fibers: gevent's first example. Each task is a greenlet that notes the
// time, calls sleep(d) as if it blocked, and notes it again; the main greenlet spawns them
// all, joinall()s them and reads their values in spawn order. A waiting greenlet is its
// parked stack (16 KiB, one page of it resident) and one reactor timer: far more than a
// coroutine frame, far less than a thread.
//
// `fibers_shared_stack` is the same program the way the greenlet package runs it: every
// greenlet on one shared stack, a parked one being the few hundred bytes of its frames
// copied to the heap (models/fibers/shared_stack.hpp). No page to fault in per greenlet.
#include "models/fibers/fibers.hpp"
#include "models/fibers/shared_stack.hpp"
#include "spec.hpp"

namespace cmbench::sleep_fanout {

Result fibers(const Params& p) {
  return fibers::run([&p] {
    std::vector<fibers::Greenlet<Span>> tasks;
    tasks.reserve(p.waits.size());
    for (auto wait : p.waits)
      tasks.push_back(fibers::spawn([wait] {
        const std::int64_t start = monotonic_ns();
        fibers::sleep(wait);
        return Span{start, monotonic_ns()};
      }));
    fibers::joinall(tasks);
    Result spans;
    spans.reserve(tasks.size());
    for (auto& t : tasks) spans.push_back(t.get());
    return spans;
  });
}

Result fibers_shared_stack(const Params& p) {
  namespace gevent = fibers::shared_stack;
  return gevent::run([&p] {
    std::vector<gevent::Greenlet<Span>> tasks;
    tasks.reserve(p.waits.size());
    for (auto wait : p.waits)
      tasks.push_back(gevent::spawn([wait] {
        const std::int64_t start = monotonic_ns();
        gevent::sleep(wait);
        return Span{start, monotonic_ns()};
      }));
    gevent::joinall(tasks);
    Result spans;
    spans.reserve(tasks.size());
    for (auto& t : tasks) spans.push_back(t.get());
    return spans;
  });
}

}  // namespace cmbench::sleep_fanout
