// threadpool::apply(fn): gevent's get_hub().threadpool.apply(fn). Runs fn on a thread of
// the process's offload pool (one thread per core) and parks the calling greenlet until it
// returns; the hub runs the other greenlets meanwhile. The greenlet gets fn's result, or
// raises what fn threw. This is how a gevent program keeps CPU-bound or truly blocking code
// off the hub, and how several such calls run on several cores at once.
//
//   long n = fibers::threadpool::apply([&] { return count_primes(chunk); });
//
// Interruption (kill, Timeout): the greenlet raises at once; fn cannot be stopped and runs
// to its end on its thread, its result dropped. So fn must own what it uses.
// Cost: a hand-off to a pool thread and back through the hub's reactor: ≈ 10–40 µs of
// latency here; nothing for the hub while fn runs. Needs the hub.
#pragma once

#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

#include "models/core/offloaded.hpp"
#include "models/fibers/hub.hpp"
#include "models/fibers/wait.hpp"

namespace cmbench::fibers::threadpool {

template <class F>
auto apply(F fn) -> std::invoke_result_t<F&> {
  using R = std::invoke_result_t<F&>;
  interruption_point();
  Engine& reactor = Hub::require("fibers::threadpool::apply").engine();
  // Shared by the pool thread (which runs fn and fills `work`) and the hub (which reads it
  // once the reactor's hand-back, a mutex, has ordered the two).
  struct Call : HandOff {
    explicit Call(F fn) : work{std::move(fn), {}, {}} {}
    Offloaded<F> work;
  };
  auto call = std::make_shared<Call>(std::move(fn));
  WaitingFor waiting(*call);
  call->waiter = context::active();
  reactor.offload([call] { call->work.run(); },
                  [call] {
                    if (!call->abandoned)
                      wake(std::exchange(call->waiter, nullptr), trace::Cause::pool);
                  });
  park(waiting, trace::Wait::pool);
  if (call->work.error) std::rethrow_exception(call->work.error);
  if constexpr (!std::is_void_v<R>) return std::move(*call->work.value);
}

}  // namespace cmbench::fibers::threadpool
