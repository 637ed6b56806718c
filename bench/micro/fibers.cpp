// The fibers model's own rows beside the Boost floors of fiber_references.cpp, all in one
// run:
//   fiber_pingpong/fibers      — two greenlets on the hub, each calling sleep(0) (gevent's
//                                yield) in turn: every switch goes through the hub's ready
//                                queue, and once per round its dispatcher polls the reactor.
//                                The same exchange as boost_yield on round_robin. Items:
//                                round trips (each greenlet yields once).
//   fiber_pingpong/fibers-event — the same hand-off through two Events (set, then wait),
//                                the way greenlets signal each other. Items: round trips.
//   fiber_pingpong/fibers-shared-stack — the sleep(0) exchange on the shared-stack loop
//                                (shared_stack.hpp): every switch between the two copies
//                                the live frames of one out and of the other back in.
//   fiber_spawn/fibers         — spawn(empty).get(): a greenlet with a stack from the pool,
//                                started at the hub's next turn, joined. Items: greenlets.
//   fiber_spawn/fibers-eager   — the same with RunOptions::eager_spawn: the child runs at
//                                once and the parent resumes first thing after it.
//   skynet/fibers-eager        — the 10-ary tree of 1 000 000 leaves, each greenlet spawning
//                                its ten children and get()ting their sums, with eager spawn:
//                                depth first, so a few dozen greenlets live at once.
//   skynet/fibers              — the same with gevent's spawn order (FIFO): breadth first,
//                                every one of the 1 111 111 greenlets alive at once before
//                                the first leaf returns: 20 s and 9.1 GB peak RSS here, so
//                                it runs only with CMBENCH_MICRO_HEAVY=1.
// Counters: peak_stacks_mib is the stack memory the hub mapped (its most live greenlets at
// once × 16 KiB, resident about a quarter of it). Not for sanitizer builds (Boost.Context
// switches stacks under their feet). Every row checks its answer and throws if it is wrong.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "micro.hpp"
#include "models/fibers/fibers.hpp"
#include "models/fibers/shared_stack.hpp"

namespace cmbench::micro {
namespace {

constexpr std::int64_t rounds = 100'000;

// --- ping-pong ---------------------------------------------------------------------------

// Each greenlet checks that the other moved the shared count on before its own turn came
// back: strict alternation, which is what a round trip means.
void pingpong_yield(benchmark::State& state) {
  while (state.KeepRunningBatch(rounds)) {
    std::int64_t turns = fibers::run([] {
      std::int64_t turn = 0;
      auto player = [&turn](std::int64_t me) {
        for (std::int64_t i = 0; i < rounds; ++i) {
          check(turn, 2 * i + me, "fiber_pingpong/fibers (turn order)");
          ++turn;
          fibers::sleep();
        }
      };
      auto a = fibers::spawn(player, 0);
      auto b = fibers::spawn(player, 1);
      a.get();
      b.get();
      return turn;
    });
    check(turns, 2 * rounds, "fiber_pingpong/fibers");
  }
  state.SetItemsProcessed(state.iterations());
}

void pingpong_event(benchmark::State& state) {
  while (state.KeepRunningBatch(rounds)) {
    std::int64_t total = fibers::run([] {
      fibers::Event to_b, to_a;
      std::int64_t ball = 0;
      auto b = fibers::spawn([&] {
        for (std::int64_t i = 0; i < rounds; ++i) {
          to_b.wait();
          to_b.clear();
          ++ball;
          to_a.set();
        }
      });
      for (std::int64_t i = 0; i < rounds; ++i) {
        ++ball;
        to_b.set();
        to_a.wait();
        to_a.clear();
      }
      b.get();
      return ball;
    });
    check(total, 2 * rounds, "fiber_pingpong/fibers-event");
  }
  state.SetItemsProcessed(state.iterations());
}

void pingpong_shared_stack(benchmark::State& state) {
  namespace gevent = fibers::shared_stack;
  double copied = 0;
  while (state.KeepRunningBatch(rounds)) {
    // The count lives outside the greenlets' frames: a frame is not at its address while
    // the other greenlet has the stack.
    std::int64_t turn = 0;
    gevent::run([&turn, &copied] {
      auto player = [&turn](std::int64_t me) {
        for (std::int64_t i = 0; i < rounds; ++i) {
          check(turn, 2 * i + me, "fiber_pingpong/fibers-shared-stack (turn order)");
          ++turn;
          gevent::sleep();
        }
      };
      auto a = gevent::spawn(player, 0);
      auto b = gevent::spawn(player, 1);
      a.get();
      b.get();
      copied = static_cast<double>(gevent::Loop::current()->copied_bytes());
    });
    check(turn, 2 * rounds, "fiber_pingpong/fibers-shared-stack");
  }
  state.counters["copied_bytes_per_switch"] = copied / (2.0 * rounds);
  state.SetItemsProcessed(state.iterations());
}

// --- spawn + join ------------------------------------------------------------------------

void spawn_join(benchmark::State& state, bool eager) {
  constexpr std::int64_t batch = 100'000;
  while (state.KeepRunningBatch(batch)) {
    std::int64_t sum = fibers::run(
        [] {
          std::int64_t s = 0;
          for (std::int64_t i = 0; i < batch; ++i) s += fibers::spawn([i] { return i; }).get();
          return s;
        },
        {.eager_spawn = eager});
    check(sum, batch * (batch - 1) / 2, eager ? "fiber_spawn/fibers-eager" : "fiber_spawn/fibers");
  }
  state.SetItemsProcessed(state.iterations());
}

// --- skynet ------------------------------------------------------------------------------

std::int64_t skynet(std::int64_t num, int depth) {
  if (depth == 0) return num;
  std::array<fibers::Greenlet<std::int64_t>, 10> children;
  for (int i = 0; i < 10; ++i) children[i] = fibers::spawn(skynet, num * 10 + i, depth - 1);
  std::int64_t sum = 0;
  for (auto& c : children) sum += c.get();
  return sum;
}

constexpr int skynet_depth = 6;
constexpr std::int64_t skynet_leaves = 1'000'000;

void skynet_run(benchmark::State& state, bool eager) {
  double mapped = 0;
  for (auto _ : state) {
    std::int64_t sum = fibers::run(
        [&mapped] {
          std::int64_t s = skynet(0, skynet_depth);
          mapped = static_cast<double>(fibers::Hub::current()->stacks().mapped_bytes());
          return s;
        },
        {.eager_spawn = eager});
    check(sum, skynet_leaves * (skynet_leaves - 1) / 2,
          eager ? "skynet/fibers-eager" : "skynet/fibers");
  }
  state.counters["peak_stacks_mib"] = mapped / (1 << 20);
  state.SetItemsProcessed(state.iterations() * skynet_leaves);
}

}  // namespace

void register_fibers() {
  benchmark::RegisterBenchmark("micro/fiber_pingpong/fibers", pingpong_yield);
  benchmark::RegisterBenchmark("micro/fiber_pingpong/fibers-event", pingpong_event);
  benchmark::RegisterBenchmark("micro/fiber_pingpong/fibers-shared-stack", pingpong_shared_stack);
  benchmark::RegisterBenchmark("micro/fiber_spawn/fibers", spawn_join, false);
  benchmark::RegisterBenchmark("micro/fiber_spawn/fibers-eager", spawn_join, true);
  benchmark::RegisterBenchmark("micro/skynet/fibers-eager", skynet_run, true)
      ->Unit(benchmark::kMillisecond);
  // gevent's order needs ≈ 9 GB and ≈ 20 s here: only on request.
  if (const char* heavy = std::getenv("CMBENCH_MICRO_HEAVY"); heavy && std::string(heavy) == "1")
    benchmark::RegisterBenchmark("micro/skynet/fibers", skynet_run, false)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
}

}  // namespace cmbench::micro
