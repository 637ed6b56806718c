// to_thread(fn): runs a blocking or CPU-bound function on the reactor's offload pool and
// awaits its result (asyncio.to_thread), so that the loop goes on with other tasks
// meanwhile. Its exception, if it raises one, is raised by the co_await.
//
//   auto primes = co_await to_thread([&] { return count_primes(chunk); });
//
// Cancellation: the awaiting task raises CancelledError at once; the function cannot be
// stopped and runs to its end on its thread, and its result is dropped (asyncio's is too).
// So fn must own, or outlive, whatever it uses.
// Cost: a hand-off to a pool thread and back through the loop's wake-up eventfd: ≈ 10–40 µs
// of latency here, depending on placement; nothing for the loop while it runs.
#pragma once

#include <coroutine>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "models/core/offloaded.hpp"
#include "models/coroutines/suspension.hpp"

namespace cmbench::coroutines {

template <class F>
class [[nodiscard]] ToThread final : public detail::Suspension {
 public:
  using R = std::invoke_result_t<F&>;

  explicit ToThread(F fn) : fn_(std::move(fn)) {}

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    if (!begin(h)) return false;
    // The job outlives this awaiter if the task is cancelled: the pool thread writes into
    // it, and the completion (on the loop thread, after the work) hands its outcome over
    // only if the awaiter still waits.
    auto job = std::make_unique<Job>(Job{{std::move(fn_), {}, {}}, this});
    job_ = job.get();
    Job* work = job.get();
    engine().offload([work] { work->call.run(); },
                     [job = std::move(job)] {
                       if (!job->to) return;  // abandoned: the awaiting task was cancelled
                       job->to->value_ = std::move(job->call.value);
                       job->to->error_ = std::move(job->call.error);
                       job->to->task_->wake();
                     },
                     task_->trace_id());
    return true;
  }

  R await_resume() {
    end();
    if (error_) std::rethrow_exception(error_);
    if constexpr (!std::is_void_v<R>) return std::move(*value_);
  }

  trace::Wait waits_on() const noexcept override { return trace::Wait::pool; }

  bool withdraw() noexcept override {
    job_->to = nullptr;
    cancelled_ = true;
    return true;
  }

 private:
  struct Job {
    Offloaded<F> call;
    ToThread* to;  // null once abandoned
  };
  F fn_;
  Job* job_ = nullptr;
  std::optional<typename Offloaded<F>::Value> value_;
  std::exception_ptr error_;
};

template <class F>
ToThread<std::decay_t<F>> to_thread(F&& fn) {
  return ToThread<std::decay_t<F>>(std::forward<F>(fn));
}

}  // namespace cmbench::coroutines
