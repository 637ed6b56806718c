// error_handling, futures: Tornado without coroutines. A Tornado future cannot be
// cancelled, so a task that must be stoppable waits on something that can end early:
// tornado.locks.Event.wait(timeout), which is with_timeout over the event's future. Here
// the event is a future, `stop`, and each task waits on with_timeout(its deadline, stop):
// the deadline passing (TimeoutError) is the task's wait ending normally; `stop` resolving
// first means it was cancelled, and with_timeout removes its timer (remove_timeout).
// Collecting is multi() over the tasks with their errors kept: each task's future wrapped
// in one that resolves with its value or its exception, in call order. Cancelling on the
// first failure is multi() over the tasks themselves, which fails with the first failure at
// once; its done-callback resolves `stop`, and every sibling's callbacks run right there.
#include <exception>

#include "models/futures/io_loop.hpp"
#include "models/futures/multi.hpp"
#include "models/futures/with_timeout.hpp"
#include "spec.hpp"

namespace cmbench::error_handling {
namespace {

using futures::Future;
using futures::IOLoop;

// A task's outcome with its error kept, for a multi() that must not fail.
struct Settled {
  std::int64_t value = 0;
  std::exception_ptr error;
};

Future<std::int64_t> task(const Params& p, std::size_t i, TaskRecord& t, const Future<void>& stop) {
  t.span.start_ns = monotonic_ns();
  Future<std::int64_t> done;
  done.add_done_callback([&t](Future<std::int64_t>&) { end_clean_up(t); });  // finally
  futures::with_timeout(IOLoop::current().time() + p.waits[i], stop)
      .add_done_callback([done, &p, i, &t](Future<void>& waited) mutable {
        if (!waited.exception()) {  // stop resolved first: cancelled
          t.ending = Ending::cancelled;
          return done.set_result(0);
        }
        try {
          done.set_result(finish(p, i));
        } catch (const TaskFailed&) {
          done.set_exception(std::current_exception());
        }
      });
  return done;
}

Future<Settled> keep_errors(Future<std::int64_t> f) {
  Future<Settled> settled;
  f.add_done_callback([settled](Future<std::int64_t>& done) mutable {
    if (auto e = done.exception())
      settled.set_result(Settled{0, e});
    else
      settled.set_result(Settled{done.result(), nullptr});
  });
  return settled;
}

}  // namespace

Result futures(const Params& p) {
  Result r;
  r.tasks.resize(p.waits.size());
  IOLoop::current().run_sync([&p, &r] {
    Future<void> stop;
    std::vector<Future<std::int64_t>> tasks;
    std::vector<Future<Settled>> settled;
    for (std::size_t i = 0; i < p.waits.size(); ++i) {
      tasks.push_back(task(p, i, r.tasks[i], stop));
      settled.push_back(keep_errors(tasks.back()));
    }
    if (p.policy == Policy::cancel_on_first) {
      futures::multi(std::move(tasks))
          .add_done_callback([stop, &r](Future<std::vector<std::int64_t>>& all) mutable {
            if (auto first = all.exception()) {
              r.errors.push_back(what(first));
              stop.set_result();  // every sibling stops here
            }
          });
    }
    return futures::multi(std::move(settled)).then([&p, &r](std::vector<Settled>& all) {
      for (std::size_t i = 0; i < all.size(); ++i) {
        TaskRecord& t = r.tasks[i];
        if (all[i].error) {
          t.ending = Ending::error;
          t.error = what(all[i].error);
          if (p.policy == Policy::collect) r.errors.push_back(t.error);
        } else if (t.ending != Ending::cancelled) {
          t.ending = Ending::value;
          t.value = all[i].value;
        }
      }
    });
  });
  return r;
}

}  // namespace cmbench::error_handling
