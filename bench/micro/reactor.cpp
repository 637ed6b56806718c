// Micro-benchmarks of the shared reactor.
//
// What they measure:
//  - micro/dispatch/*: the cost of queueing a callback and running it, per callback, in
//    batches of 1 000: a bare queue of function pointers (the floor: nothing can be cheaper),
//    a std::deque of std::function (what a quick implementation would use), and the
//    reactor's call_soon + one loop turn (the real path every event-driven model takes);
//  - micro/timers/*: the cost of inserting a timer and expiring it, per timer, for 10^6
//    timers spread over 1 ms: the raw timing wheel alone, the reactor's call_at + run (the
//    wheel plus the loop around it, which also waits out the 1 ms), and a binary heap as the
//    textbook alternative.
// What they are not for: the cost of a wait or of I/O (the sleep_fanout cells measure
// that), nor anything across threads.
#include <benchmark/benchmark.h>

#include <deque>
#include <functional>
#include <queue>
#include <stdexcept>
#include <string>
#include <vector>

#include "micro.hpp"
#include "models/core/engine.hpp"
#include "models/core/span.hpp"
#include "models/core/timer_wheel.hpp"

namespace cmbench::micro {
namespace {

constexpr int batch = 1000;
constexpr int timers = 1'000'000;

void expect(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("micro-benchmark gave a wrong result: ") + what);
}

// The floor: a ring of (function pointer, argument) pairs, no type erasure, no allocation.
void dispatch_floor(benchmark::State& state) {
  struct Entry {
    void (*fn)(void*);
    void* arg;
  };
  std::vector<Entry> ring(batch);
  std::int64_t count = 0;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i)
      ring[i] = {[](void* c) { ++*static_cast<std::int64_t*>(c); }, &count};
    benchmark::DoNotOptimize(ring.data());  // the calls must go through the stored pointers
    benchmark::ClobberMemory();
    for (int i = 0; i < batch; ++i) ring[i].fn(ring[i].arg);
    benchmark::ClobberMemory();
  }
  expect(count == state.iterations() * batch, "floor: callbacks lost");
  state.SetItemsProcessed(state.iterations() * batch);
}

void dispatch_std_function(benchmark::State& state) {
  std::deque<std::function<void()>> queue;
  std::int64_t count = 0;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) queue.emplace_back([&count] { ++count; });
    while (!queue.empty()) {
      queue.front()();
      queue.pop_front();
    }
  }
  expect(count == state.iterations() * batch, "std::function: callbacks lost");
  state.SetItemsProcessed(state.iterations() * batch);
}

void dispatch_reactor(benchmark::State& state) {
  Engine r;
  std::int64_t count = 0;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) r.call_soon([&count] { ++count; });
    r.run();  // one turn: the ready phase, then a zero-timeout poll (one syscall per batch)
  }
  expect(count == state.iterations() * batch, "reactor: callbacks lost");
  state.SetItemsProcessed(state.iterations() * batch);
}

void timers_wheel(benchmark::State& state) {
  std::int64_t fired = 0;
  TimerWheel w(monotonic_ns());  // reused, as a loop's is: its blocks are warm
  for (auto _ : state) {
    std::int64_t now = monotonic_ns();
    w.advance(now);
    for (int i = 0; i < timers; ++i) w.add(now + (i % 1000) * 1000, [&fired] { ++fired; });
    w.advance(now + 1'000'000 + (std::int64_t{1} << TimerWheel::tick_shift));  // deadlines round up
    w.begin_firing();
    for (Callback cb; w.pop_due(cb);) cb();
  }
  expect(fired == state.iterations() * timers, "wheel: timers lost");
  state.SetItemsProcessed(state.iterations() * timers);
}

void timers_reactor(benchmark::State& state) {
  Engine r;
  std::int64_t fired = 0;
  for (auto _ : state) {
    std::int64_t now = monotonic_ns();
    for (int i = 0; i < timers; ++i) r.call_at(now + (i % 1000) * 1000, [&fired] { ++fired; });
    r.run();
  }
  expect(fired == state.iterations() * timers, "reactor: timers lost");
  state.SetItemsProcessed(state.iterations() * timers);
}

void timers_binary_heap(benchmark::State& state) {
  struct Timer {
    std::int64_t deadline;
    std::uint64_t seq;
    Callback* cb;
    bool operator>(const Timer& o) const {
      return deadline != o.deadline ? deadline > o.deadline : seq > o.seq;
    }
  };
  std::int64_t fired = 0;
  std::vector<Callback> callbacks;
  for (auto _ : state) {
    std::int64_t now = monotonic_ns();
    callbacks.clear();
    callbacks.reserve(timers);
    std::priority_queue<Timer, std::vector<Timer>, std::greater<>> heap;
    for (int i = 0; i < timers; ++i) {
      callbacks.emplace_back([&fired] { ++fired; });
      heap.push({now + (i % 1000) * 1000, static_cast<std::uint64_t>(i), &callbacks.back()});
    }
    while (!heap.empty() && heap.top().deadline <= now + 1'000'000) {
      (*heap.top().cb)();
      heap.pop();
    }
  }
  expect(fired == state.iterations() * timers, "heap: timers lost");
  state.SetItemsProcessed(state.iterations() * timers);
}

}  // namespace

void register_reactor() {
  benchmark::RegisterBenchmark("micro/dispatch/floor", dispatch_floor);
  benchmark::RegisterBenchmark("micro/dispatch/std_function", dispatch_std_function);
  benchmark::RegisterBenchmark("micro/dispatch/reactor", dispatch_reactor);
  benchmark::RegisterBenchmark("micro/timers/raw_wheel", timers_wheel)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("micro/timers/reactor", timers_reactor)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("micro/timers/binary_heap", timers_binary_heap)
      ->Unit(benchmark::kMillisecond);
}

}  // namespace cmbench::micro
