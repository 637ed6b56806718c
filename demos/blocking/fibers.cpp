// blocking, fibers: gevent. Four greenlets that compute run one after another on the hub's
// thread: a greenlet that never blocks never gives the hub back. Handed to the hub's
// threadpool (threadpool.apply), the chunks run on two cores while the greenlets wait. Then
// a ticker greenlet and one that calls a truly blocking sleep (not gevent.sleep, which would
// yield): the hub cannot switch until it returns, and max_blocking_time reports it.
#include <thread>
#include <vector>

#include "demo.hpp"
#include "kernel.hpp"
#include "models/fibers/fibers.hpp"
#include "spec.hpp"

namespace cmbench::demos::blocking {

namespace {

namespace gevent = cmbench::fibers;

void ticker() {
  for (int n = 1; n <= ticks; ++n) {
    gevent::sleep(units(tick_units));
    say("tick {}", n);
  }
}

void blocker() {
  gevent::sleep(units(block_after_units));
  say("blocking call: sleep 1 unit");
  std::this_thread::sleep_for(units(block_units));  // time.sleep, unpatched: the hub stops
  say("blocking call returned");
}

}  // namespace

void fibers() {
  const std::uint64_t rounds = rounds_for(units(chunk_units));
  gevent::run([rounds] {
    // Part A, on the hub: a greenlet per chunk.
    double began = elapsed_s();
    std::vector<gevent::Greenlet<std::uint64_t>> on_hub;
    for (int n = 1; n <= chunks; ++n) on_hub.push_back(gevent::spawn(chunk, "loop", n, rounds));
    gevent::joinall(on_hub);
    say("loop: {} chunks in {:.2f} s", chunks, elapsed_s() - began);

    // Part A, in the threadpool: each greenlet hands its chunk over and waits.
    began = elapsed_s();
    std::vector<gevent::Greenlet<std::uint64_t>> in_pool;
    for (int n = 1; n <= chunks; ++n)
      in_pool.push_back(gevent::spawn([n, rounds] {
        return gevent::threadpool::apply([n, rounds] { return chunk("pool", n, rounds); });
      }));
    gevent::joinall(in_pool);
    say("pool: {} chunks in {:.2f} s", chunks, elapsed_s() - began);

    // Part B: the ticker and the blocking greenlet, watched by the hub.
    gevent::get_hub().set_max_blocking_time(
        units(slow_units), [](std::string_view report) { say("detector: {}", report); });
    std::vector<gevent::Greenlet<void>> part_b;
    part_b.push_back(gevent::spawn(ticker));
    part_b.push_back(gevent::spawn(blocker));
    gevent::joinall(part_b);
    gevent::get_hub().set_max_blocking_time(std::chrono::seconds(0), nullptr);
  });
}

}  // namespace cmbench::demos::blocking
