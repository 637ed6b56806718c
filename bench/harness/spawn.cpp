#include "spawn.hpp"

#include <chrono>
#include <fstream>
#include <optional>

namespace cmbench {
namespace fs = std::filesystem;

Spawned spawn_and_wait(const std::vector<std::string>& argv, const fs::path& log, double limit,
                       const std::function<bool()>& tick) {
  Spawned s;
  std::optional<Child> child;
  try {
    ChildOptions logged;
    logged.out = Stdio::to_file(log);
    logged.err = Stdio::as_stdout();
    logged.new_group = true;  // a timeout kills all it forked
    child.emplace(argv, logged);
  } catch (const CannotStart& e) {
    std::ofstream(log, std::ios::app) << e.what() << '\n';
    s.status = 127 << 8;  // as waitpid reports an exit with status 127
    return s;
  }
  s.pid = child->pid();
  const auto t0 = std::chrono::steady_clock::now();
  for (std::chrono::milliseconds wait{0};; wait = std::chrono::milliseconds(20)) {
    if (auto status = child->wait_for(wait)) {
      s.status = *status;
      return s;
    }
    const bool stop = tick();
    if (stop ||
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > limit) {
      s.timed_out = !stop;
      s.stopped = stop;
      s.status = child->kill();
      return s;
    }
  }
}

}  // namespace cmbench
