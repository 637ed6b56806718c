// blocking, processes: multiprocessing.Pool(2).map over the four chunks: each worker is a
// process with its own interpreter in Python (its own memory here), so the chunks compute
// on both cores, two at a time. Then the ticker and the blocking call in a
// multiprocessing.Process each: the blocking call stalls its own process only.
#include <algorithm>
#include <thread>
#include <vector>

#include "demo.hpp"
#include "kernel.hpp"
#include "models/processes/pool.hpp"
#include "models/processes/process.hpp"
#include "spec.hpp"

namespace mp = cmbench::processes;  // import multiprocessing as mp

namespace cmbench::demos::blocking {

void processes() {
  const std::uint64_t rounds = rounds_for(units(chunk_units));  // measured before forking

  // Part A: Pool(cores).map(chunk, [1, 2, 3, 4]).
  const double began = elapsed_s();
  {
    mp::Pool pool(std::max(1u, std::thread::hardware_concurrency()),
                  [rounds](int n) { return chunk("processes", n, rounds); });
    pool.map(std::vector<int>{1, 2, 3, 4});
  }
  say("processes: {} chunks in {:.2f} s", chunks, elapsed_s() - began);

  // Part B: the ticker and the blocking call, a process each.
  mp::Process<int> ticker([] {
    for (int n = 1; n <= ticks; ++n) {
      std::this_thread::sleep_for(units(tick_units));
      say("tick {}", n);
    }
    return 0;
  });
  mp::Process<int> blocker([] {
    std::this_thread::sleep_for(units(block_after_units));
    say("blocking call: sleep 1 unit");
    std::this_thread::sleep_for(units(block_units));  // blocks this process, and only it
    say("blocking call returned");
    return 0;
  });
  ticker.join();
  blocker.join();
}

}  // namespace cmbench::demos::blocking
