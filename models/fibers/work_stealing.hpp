// The multi-core variant: greenlets on Boost.Fiber's work_stealing algorithm over two
// threads, for CPU work. Each thread runs its own fibers and steals from the other when it
// runs out; an idle thread sleeps (suspend = true) instead of spinning.
//
//   long total = fibers::run_work_stealing([&] {
//     std::vector<fibers::Greenlet<long>> parts;
//     for (auto& chunk : chunks) parts.push_back(fibers::spawn(sum, chunk));
//     long t = 0;
//     for (auto& p : parts) t += p.get();
//     return t;
//   });
//
// Inside, spawn, get, join and joinall work as on the hub (the greenlets may finish on
// either thread), and so do Event and Queue. What needs the hub's reactor does not: sleep,
// Timeout, sockets, files and kill() raise std::logic_error there.
//
// Boost's work_stealing keeps its state in statics: one pool per process, whose threads all
// construct it with the same count. So the pool is built once, on first use, with two
// threads that live until the process exits; run_work_stealing() hands them work. Call it
// from outside the pool and outside any hub: it blocks its thread until main returns.
#pragma once

#include <functional>
#include <future>
#include <type_traits>
#include <utility>

#include "models/fibers/greenlet.hpp"

namespace cmbench::fibers {

namespace detail {
// Runs job as a fiber on the pool (it may migrate); returns at once.
void post_to_pool(std::function<void()> job);
}  // namespace detail

inline constexpr unsigned work_stealing_threads = 2;

template <class F>
auto run_work_stealing(F&& main) {
  using R = std::invoke_result_t<std::decay_t<F>>;
  if (Hub::current() || detail::on_work_stealing_pool())
    throw std::logic_error(
        "fibers::run_work_stealing: call it from a thread that is neither a hub nor the "
        "pool's (it blocks the thread)");
  auto done = std::make_shared<std::promise<R>>();
  std::future<R> result = done->get_future();
  detail::post_to_pool([done, main = std::forward<F>(main)]() mutable {
    try {
      auto g = spawn(std::move(main));
      if constexpr (std::is_void_v<R>) {
        g.get();
        done->set_value();
      } else {
        done->set_value(g.get());
      }
    } catch (...) {
      done->set_exception(std::current_exception());
    }
  });
  return result.get();
}

}  // namespace cmbench::fibers
