// monitor, sequential: one task at a time. No monitor can run beside the workers, since
// the one thread is inside a worker's wait; the table can only be printed between them,
// and it always holds the one worker about to run. The waits add up: 1 + 2 + … + 5 units.
#include <thread>

#include "demo.hpp"
#include "spec.hpp"

namespace cmbench::demos::monitor {

void sequential() {
  for (int n = 1; n <= 5; ++n) {
    say("ps: 1 alive: worker-{} (the only task: nothing else runs while it waits)", n);
    std::this_thread::sleep_for(units(n));
    say("worker-{} finished", n);
  }
  say("ps: 0 alive: ");
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::monitor
