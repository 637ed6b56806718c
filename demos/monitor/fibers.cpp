// monitor, fibers: gevent keeps no global list of greenlets (gc.get_objects() is how
// gevent users find them), so the program keeps its own, as a gevent Group does, and the
// monitor greenlet prints those not yet dead(). All of them on the one hub thread.
#include <string>
#include <utility>
#include <vector>

#include "demo.hpp"
#include "models/fibers/fibers.hpp"
#include "spec.hpp"

namespace cmbench::demos::monitor {

namespace gevent = cmbench::fibers;

void fibers() {
  gevent::run([] {
    std::vector<std::pair<std::string, gevent::Greenlet<void>>> group;
    for (int n = 1; n <= 5; ++n)
      group.emplace_back("worker-" + std::to_string(n), gevent::spawn([n] {
                           gevent::sleep(units(n));
                           say("worker-{} finished", n);
                         }));
    auto ps = gevent::spawn([&group] {
      gevent::sleep(units(0.25));  // ticks a quarter unit off the workers' ends
      for (;;) {
        int alive = 0;
        std::string names;
        for (const auto& [name, g] : group)
          if (!g.dead()) {
            ++alive;
            names += (names.empty() ? "" : " ") + name;
          }
        say("ps: {} alive: {}", alive, names);
        if (alive == 0) return;
        gevent::sleep(units(0.5));
      }
    });
    for (auto& [name, g] : group) g.join();
    ps.join();
    say("total {:.2f} s", elapsed_s());
  });
}

}  // namespace cmbench::demos::monitor
