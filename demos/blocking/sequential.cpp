// blocking, sequential: the baseline. The four chunks run one after another, as any code
// does here; and a "ticker" can only tick between calls, so a blocking call of 1 unit
// delays its next tick by that unit. There is no other task to stall and no loop to watch:
// in sequential code every call blocks, which is why nothing here needs a detector.
#include <thread>

#include "demo.hpp"
#include "kernel.hpp"
#include "spec.hpp"

namespace cmbench::demos::blocking {

void sequential() {
  const std::uint64_t rounds = rounds_for(units(chunk_units));

  // Part A: 4 chunks of computation, one after another.
  const double began = elapsed_s();
  for (int n = 1; n <= chunks; ++n) chunk("sequential", n, rounds);
  say("sequential: {} chunks in {:.2f} s", chunks, elapsed_s() - began);

  // Part B: ticks, and a blocking call between two of them.
  say("every call blocks: the next tick waits for the call before it");
  for (int n = 1; n <= ticks; ++n) {
    std::this_thread::sleep_for(units(tick_units));
    say("tick {}", n);
    if (n == 2) {
      say("blocking call: sleep 1 unit");
      std::this_thread::sleep_for(units(block_units));  // time.sleep(1)
      say("blocking call returned");
    }
  }
}

}  // namespace cmbench::demos::blocking
