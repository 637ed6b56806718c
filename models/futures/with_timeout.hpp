// with_timeout: a future that resolves as another does, or fails with TimeoutError if that
// one has not resolved by a deadline: tornado.gen.with_timeout.
//
// Guarantees: the returned future resolves once, with the inner future's outcome if that
// comes first, else with TimeoutError at the deadline (never before it). When the inner
// future resolves first, the timer is removed.
// Not guaranteed: cancellation. As in Tornado, the inner operation is *not* stopped by the
// timeout: it runs on, and its eventual result is dropped (a failure that comes after the
// timeout is reported to the loop's error handler, as Tornado logs it). Stop the operation
// itself (close its stream, say) if it must not go on.
// Thread-safety: the loop thread. Cost: one future and one timer.
#pragma once

#include <chrono>
#include <stdexcept>

#include "models/futures/future.hpp"
#include "models/futures/io_loop.hpp"

namespace cmbench::futures {

class TimeoutError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class T>
Future<T> with_timeout(IOLoop::clock::time_point deadline, const Future<T>& inner) {
  Future<T> out;
  IOLoop& loop = IOLoop::current();
  auto timeout = loop.call_at(deadline, [out] {
    detail::Access::state(out).try_set_error(
        std::make_exception_ptr(TimeoutError("with_timeout: the deadline passed first")));
  });
  auto& from = detail::Access::state(inner);
  from.add_callback([out, timeout, &from, &loop] {
    loop.remove_timeout(timeout);
    auto& to = detail::Access::state(out);
    if (!to.done())
      detail::copy_outcome(from, to);
    else if (from.error())
      detail::report_exception(from.error(), "with_timeout: failed after its timeout");
  });
  return out;
}

template <class T>
Future<T> with_timeout(std::chrono::nanoseconds timeout, const Future<T>& inner) {
  return with_timeout(IOLoop::current().time() + timeout, inner);
}

}  // namespace cmbench::futures
