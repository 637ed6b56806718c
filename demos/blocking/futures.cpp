// blocking, futures: Tornado. Four chunks chained on gen.moment-style futures run on the
// IOLoop one after another: a callback holds the loop's only thread until it returns.
// run_in_executor hands them to the loop's executor, two cores at once, and their futures
// resolve back on the loop. Then a ticker and a callback that makes a blocking call: the
// ticks wait for it, and set_blocking_log_threshold logs it.
#include <chrono>
#include <thread>
#include <vector>

#include "demo.hpp"
#include "kernel.hpp"
#include "models/futures/io_loop.hpp"
#include "models/futures/multi.hpp"
#include "spec.hpp"

namespace cmbench::demos::blocking {

namespace {

using cmbench::futures::Future;
using cmbench::futures::IOLoop;
namespace gen = cmbench::futures;  // gen.sleep, gen.multi

Future<void> ticker(int n) {
  return gen::sleep(units(tick_units)).then([n]() -> Future<void> {
    say("tick {}", n);
    if (n < ticks) return ticker(n + 1);
    return gen::sleep(std::chrono::seconds(0));
  });
}

Future<void> part_b() {
  IOLoop::current().set_blocking_log_threshold(
      units(slow_units), [](std::string_view line) { say("detector: {}", line); });
  Future<void> blocked = gen::sleep(units(block_after_units)).then([] {
    say("blocking call: sleep 1 unit");
    std::this_thread::sleep_for(units(block_units));  // holds the IOLoop's thread
    say("blocking call returned");
  });
  std::vector<Future<void>> both;
  both.push_back(ticker(1));
  both.push_back(blocked);
  return gen::multi(std::move(both));
}

}  // namespace

void futures() {
  const std::uint64_t rounds = rounds_for(units(chunk_units));
  IOLoop& loop = IOLoop::current();
  loop.run_sync([&loop, rounds] {
    // Part A, on the loop: each chunk a callback after a zero sleep, run in turn.
    const double began = elapsed_s();
    std::vector<Future<std::uint64_t>> on_loop;
    for (int n = 1; n <= chunks; ++n)
      on_loop.push_back(gen::sleep(std::chrono::seconds(0)).then([n, rounds] {
        return chunk("loop", n, rounds);
      }));
    return gen::multi(std::move(on_loop))
        .then([&loop, rounds, began](const std::vector<std::uint64_t>&) {
          say("loop: {} chunks in {:.2f} s", chunks, elapsed_s() - began);
          // Part A, in the executor: run_in_executor per chunk.
          const double again = elapsed_s();
          std::vector<Future<std::uint64_t>> in_executor;
          for (int n = 1; n <= chunks; ++n)
            in_executor.push_back(
                loop.run_in_executor([n, rounds] { return chunk("pool", n, rounds); }));
          return gen::multi(std::move(in_executor))
              .then([again](const std::vector<std::uint64_t>&) {
                say("pool: {} chunks in {:.2f} s", chunks, elapsed_s() - again);
              });
        })
        .then([] { return part_b(); });
  });
  loop.set_blocking_log_threshold(std::chrono::seconds(0), nullptr);
}

}  // namespace cmbench::demos::blocking
