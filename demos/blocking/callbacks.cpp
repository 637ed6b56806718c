// blocking, callbacks: Twisted. On the reactor, four chunks scheduled with deferLater run
// one after another: a callback holds the reactor's only thread until it returns. With
// deferToThread they run on the reactor's thread pool, two cores at once, and their
// Deferreds fire back on the reactor. Then a LoopingCall-style ticker and a callback that
// makes a blocking call: every other delayed call waits for it, and the reactor's
// slow-call watch reports it.
#include <chrono>
#include <thread>
#include <vector>

#include "demo.hpp"
#include "kernel.hpp"
#include "models/callbacks/deferred_list.hpp"
#include "models/callbacks/reactor.hpp"
#include "spec.hpp"

namespace cmbench::demos::blocking {

using namespace cmbench::callbacks;  // from twisted.internet import ...
using cmbench::callbacks::Reactor;

namespace {

// A tick, then the next one scheduled: what task.LoopingCall does.
void tick(Reactor* reactor, int n, Deferred<void> done) {
  say("tick {}", n);
  if (n == ticks) return done.callback();
  reactor->call_later(units(tick_units), tick, reactor, n + 1, done);
}

Deferred<void> part_b(Reactor& reactor) {
  reactor.set_slow_call_threshold(units(slow_units),
                                  [](std::string_view report) { say("detector: {}", report); });
  Deferred<void> ticking;
  reactor.call_later(units(tick_units), tick, &reactor, 1, ticking);
  Deferred<void> blocked = defer_later(reactor, units(block_after_units), [] {
    say("blocking call: sleep 1 unit");
    std::this_thread::sleep_for(units(block_units));  // holds the reactor's thread
    say("blocking call returned");
  });
  return blocked.add_callback([ticking] { return ticking; });
}

}  // namespace

void callbacks() {
  const std::uint64_t rounds = rounds_for(units(chunk_units));
  react([rounds](Reactor& reactor) {
    // Part A, on the reactor: four delayed calls of no delay, run in turn.
    const double began = elapsed_s();
    std::vector<Deferred<std::uint64_t>> on_reactor;
    for (int n = 1; n <= chunks; ++n)
      on_reactor.push_back(defer_later(reactor, std::chrono::seconds(0), chunk, "loop", n, rounds));
    return gather_results(std::move(on_reactor))
        .add_callback([&reactor, rounds, began](const std::vector<std::uint64_t>&) {
          say("loop: {} chunks in {:.2f} s", chunks, elapsed_s() - began);
          // Part A, in the thread pool: deferToThread per chunk.
          const double again = elapsed_s();
          std::vector<Deferred<std::uint64_t>> in_threads;
          for (int n = 1; n <= chunks; ++n)
            in_threads.push_back(reactor.defer_to_thread(chunk, "pool", n, rounds));
          return gather_results(std::move(in_threads))
              .add_callback([again](const std::vector<std::uint64_t>&) {
                say("pool: {} chunks in {:.2f} s", chunks, elapsed_s() - again);
              });
        })
        .add_callback([&reactor] { return part_b(reactor); });
  });
}

}  // namespace cmbench::demos::blocking
