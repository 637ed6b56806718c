// micro/future_then: what one future continuation costs. Each operation makes a pending
// future, attaches a continuation (v + 1) with `then`, resolves the future, and reads the
// continuation's result: a future and its follower created, run and freed, all on one
// thread. Three rows, from one run:
//   futures     — models/futures' Future<int>;
//   floor       — the least any single-threaded promise/then could do (below): two shared
//                 states, one stored continuation, one indirect call, nothing else;
//   std_promise — std::promise / std::future: set_value, then get() and the addition (it
//                 has no `then`; its shared state is thread-safe, with atomics and a
//                 once-flag, which is what it pays for).
// Not for: the cost of a trip through the event loop (no loop runs here: continuations run
// inline, as they do in the futures model), nor of cross-thread hand-off.
// Items per second count continuations.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <future>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#include "bench/micro/micro.hpp"
#include "models/futures/future.hpp"
#include "models/futures/recycler.hpp"

namespace cmbench::micro {
namespace {

// The sum that every row must reach: Σ (i + 1) for i in [0, n).
void check(std::int64_t sum, std::int64_t n, const char* row) {
  if (sum != n * (n + 1) / 2)
    throw std::runtime_error(std::string("micro/future_then/") + row + ": wrong sum " +
                             std::to_string(sum));
}

// The floor: a promise/then with nothing but what one needs. A shared state holds the
// value, whether it is set, and the follower waiting on it; `then` allocates the
// follower's state with the continuation inside it (one allocation, no type erasure but a
// function pointer), and set_value calls it. No reference counts (the caller frees both
// states), no exceptions, no thread-safety. Its states come from the same per-thread free
// list as the futures model's (with malloc it costs ≈ 25 ns here, more than the model's
// Future): the floor of the idiom, not of the allocator.
namespace floor {

struct State {
  int value = 0;
  bool done = false;
  State* waiter = nullptr;  // the state `then` made, if any
  void (*resume)(State* waiter, int value) = nullptr;
  void (*destroy)(State* self) = [](State* s) { delete s; };

  // Every floor state, a Then included, in a 64-byte block.
  static void* operator new(std::size_t size) {
    if (size > 64) throw std::bad_alloc();
    return futures::detail::Recycler<64>::allocate();
  }
  static void operator delete(void* p) noexcept { futures::detail::Recycler<64>::deallocate(p); }

  void set_value(int v) {
    value = v;
    done = true;
    if (waiter) resume(waiter, v);
  }
};

template <class F>
struct Then : State {
  F fn;
  explicit Then(F f) : fn(std::move(f)) {
    destroy = [](State* s) { delete static_cast<Then*>(s); };
  }
};

template <class F>
State* then(State& source, F fn) {
  auto* next = new Then<F>(std::move(fn));
  source.waiter = next;
  source.resume = [](State* w, int v) {
    auto* t = static_cast<Then<F>*>(w);
    t->set_value(t->fn(v));
  };
  if (source.done) source.resume(next, source.value);
  return next;
}

}  // namespace floor

void future_then_futures(benchmark::State& state) {
  std::int64_t sum = 0, n = 0;
  for (auto _ : state) {
    futures::Future<int> f;
    auto g = f.then([](int v) { return v + 1; });
    f.set_result(static_cast<int>(n++));
    sum += g.result();
  }
  check(sum, n, "futures");
  state.SetItemsProcessed(state.iterations());
}

void future_then_floor(benchmark::State& state) {
  std::int64_t sum = 0, n = 0;
  for (auto _ : state) {
    auto* f = new floor::State;
    floor::State* g = floor::then(*f, [](int v) { return v + 1; });
    benchmark::DoNotOptimize(f);
    f->set_value(static_cast<int>(n++));
    sum += g->value;
    g->destroy(g);
    f->destroy(f);
  }
  check(sum, n, "floor");
  state.SetItemsProcessed(state.iterations());
}

void future_then_std_promise(benchmark::State& state) {
  std::int64_t sum = 0, n = 0;
  for (auto _ : state) {
    std::promise<int> p;
    std::future<int> f = p.get_future();
    p.set_value(static_cast<int>(n++));
    sum += f.get() + 1;
  }
  check(sum, n, "std_promise");
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

void register_futures() {
  benchmark::RegisterBenchmark("micro/future_then/futures", future_then_futures);
  benchmark::RegisterBenchmark("micro/future_then/floor", future_then_floor);
  benchmark::RegisterBenchmark("micro/future_then/std_promise", future_then_std_promise);
}

}  // namespace cmbench::micro
