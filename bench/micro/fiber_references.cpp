// The reference rows for the fibers model's micro-benchmarks: what a stackful context switch
// costs with nothing around it (the floor), and what Boost.Fiber, the industrial runtime, pays
// for the same hand-off and for a fiber's whole life. Three rows, from one run:
//   fiber_pingpong/raw_context     — Boost.Context alone: the benchmark thread and one
//                                    boost::context::fiber hand an int back and forth, each
//                                    holding the other as a fiber and resume()ing it: a stack
//                                    switch each way, no scheduler, no queue;
//   fiber_pingpong/boost_yield     — two Boost.Fiber fibers on the round_robin scheduler, each
//                                    calling this_fiber::yield() in turn: every switch goes
//                                    through the ready queue (push self, pop the other);
//   fiber_spawn/raw_boost_fiber    — `fiber f(fn); f.join();` with the default stack allocator:
//                                    the stack (128 KiB, malloc'd — cmbench keeps freed memory,
//                                    so it is reused, not mmap'd), the context, one run, the
//                                    join's wake-up and the release.
// Items per second count round trips (A → B → A) and fibers respectively.
// Not for: the fibers model's own scheduling (its rows go beside these), nor blocking, I/O or
// anything across threads: everything here runs on the benchmark thread and nothing waits.
// Boost.Fiber keeps one scheduler per thread, and its algorithm can be swapped by anyone on
// the thread; each Boost.Fiber row installs round_robin first, so that these rows measure
// the default whatever ran before them.
#include <benchmark/benchmark.h>

#include <boost/context/fiber.hpp>
#include <boost/fiber/algo/round_robin.hpp>
#include <boost/fiber/fiber.hpp>
#include <boost/fiber/operations.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include "micro.hpp"

namespace cmbench::micro {
namespace {

// Round trips per batch: enough that creating the fibers (a stack each) is lost in the noise,
// few enough that Google Benchmark still chooses the iteration count.
constexpr std::int64_t rounds = 100'000;

void use_round_robin() {
  boost::fibers::use_scheduling_algorithm<boost::fibers::algo::round_robin>();
}

// --- fiber_pingpong ------------------------------------------------------------------------

// Boost.Context's fiber carries no value (unlike the old continuation with data), so the ball
// lives in the client's frame and both sides read and write it; resume() is an opaque call
// into assembly, so neither side may keep it in a register across a switch.
void fiber_pingpong_raw_context(benchmark::State& state) {
  namespace context = boost::context;
  while (state.KeepRunningBatch(rounds)) {
    std::int64_t ball = 0;
    // Starts suspended; its first resume() runs it from the top. `client` is the benchmark
    // thread, suspended in that resume(); resuming it back returns the server suspended.
    context::fiber server([&ball](context::fiber&& client) {
      for (std::int64_t i = 0; i < rounds; ++i) {
        ball += 1;
        client = std::move(client).resume();
      }
      return std::move(client);  // the fiber ends and the client resumes
    });
    std::int64_t v = 0;
    for (std::int64_t i = 0; i < rounds; ++i) {
      ball = v + 1;
      server = std::move(server).resume();
      v = ball;
    }
    // One switch more, so that the server returns: a fiber destroyed while suspended is
    // unwound by an exception thrown through its stack, which we would rather not time.
    server = std::move(server).resume();
    if (server) throw std::runtime_error("micro/fiber_pingpong/raw_context: server did not end");
    check(v, 2 * rounds, "fiber_pingpong/raw_context");
  }
  state.SetItemsProcessed(state.iterations());
}

// Each player checks that the shared count of turns is what strict alternation predicts
// (player 0 sees 0, 2, 4 …, player 1 sees 1, 3, 5 …) and counts the turns where it was. An
// exception escaping a Boost.Fiber fiber ends the process (std::terminate), so the players
// only count; the benchmark thread checks after joining them.
struct Turns {
  std::int64_t taken = 0;
  std::int64_t in_turn[2] = {0, 0};
};

void yield_player(Turns& turns, int me) {
  for (std::int64_t i = 0; i < rounds; ++i) {
    if (turns.taken == 2 * i + me) ++turns.in_turn[me];
    ++turns.taken;
    boost::this_fiber::yield();
  }
}

void fiber_pingpong_boost_yield(benchmark::State& state) {
  use_round_robin();
  while (state.KeepRunningBatch(rounds)) {
    Turns turns;
    // launch::post (the default): both are queued, and neither runs until the benchmark
    // thread blocks in join(). Then 0 runs, yields to 1, which yields to 0, and so on: the
    // benchmark thread waits in join() and is never in the ready queue between them.
    boost::fibers::fiber first(yield_player, std::ref(turns), 0);
    boost::fibers::fiber second(yield_player, std::ref(turns), 1);
    first.join();
    second.join();
    check(turns.taken, 2 * rounds, "fiber_pingpong/boost_yield");
    check(turns.in_turn[0], rounds, "fiber_pingpong/boost_yield (player 0 in turn)");
    check(turns.in_turn[1], rounds, "fiber_pingpong/boost_yield (player 1 in turn)");
  }
  state.SetItemsProcessed(state.iterations());
}

// --- fiber_spawn ---------------------------------------------------------------------------

void fiber_spawn_raw_boost_fiber(benchmark::State& state) {
  use_round_robin();
  std::int64_t sum = 0, n = 0;
  for (auto _ : state) {
    std::int64_t got = -1;
    boost::fibers::fiber f([&got, n] { got = n; });
    f.join();
    sum += got;
    ++n;
  }
  check(sum, n * (n - 1) / 2, "fiber_spawn/raw_boost_fiber");
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

void register_fiber_references() {
  benchmark::RegisterBenchmark("micro/fiber_pingpong/raw_context", fiber_pingpong_raw_context);
  benchmark::RegisterBenchmark("micro/fiber_pingpong/boost_yield", fiber_pingpong_boost_yield);
  benchmark::RegisterBenchmark("micro/fiber_spawn/raw_boost_fiber", fiber_spawn_raw_boost_fiber);
}

}  // namespace cmbench::micro
