// sleep_fanout, futures: Tornado without coroutines. A task is the future of a sleep
// (tornado.gen.sleep: a future that call_later resolves) followed by `then`, which notes
// when the wait ended. multi() folds the N futures into one whose result lists the spans in
// call order, whatever order they finish in, and run_sync runs the loop until it resolves.
// Nothing runs while the tasks wait: a waiting task is two futures and a timer, no stack.
// The loop is the thread's own (IOLoop.current(), as in a Tornado program), so the timer
// wheel's blocks and the futures' memory are reused from one run to the next.
#include "models/futures/io_loop.hpp"
#include "models/futures/multi.hpp"
#include "spec.hpp"

namespace cmbench::sleep_fanout {
namespace {

using futures::Future;

Future<Span> task(std::chrono::microseconds wait) {
  const std::int64_t start = monotonic_ns();
  return futures::sleep(wait).then([start] { return Span{start, monotonic_ns()}; });
}

}  // namespace

Result futures(const Params& p) {
  return futures::IOLoop::current().run_sync([&p] {
    std::vector<Future<Span>> tasks;
    tasks.reserve(p.waits.size());
    for (auto wait : p.waits) tasks.push_back(task(wait));
    return futures::multi(std::move(tasks));
  });
}

}  // namespace cmbench::sleep_fanout
