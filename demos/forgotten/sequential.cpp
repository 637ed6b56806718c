// forgotten, sequential: nothing can be forgotten. A call runs to its end before the next
// line starts, and an exception it raises reaches its caller at once: there is no task
// left behind to lose track of. What sequential code can ignore is an error returned as a
// value; [[nodiscard]] makes the compiler warn when a caller drops it.
#include <stdexcept>
#include <thread>

#include "demo.hpp"
#include "spec.hpp"

namespace cmbench::demos::forgotten {

namespace {

void save_report() {
  say("save_report: started");
  std::this_thread::sleep_for(units(1));
  say("save_report: raises disk full");
  throw std::runtime_error("disk full");
}

// The same failure as a value: false when the report could not be saved.
[[nodiscard]] bool try_save_report() {
  say("save_report: returns false (disk full)");
  return false;
}

}  // namespace

void sequential() {
  say("main: calls save_report() and waits for it, as every call does");
  try {
    save_report();
  } catch (const std::exception& e) {
    say("main: the exception reached main at once: {}", e.what());
  }
  // try_save_report();  // warning: ignoring return value ... [-Wunused-result]
  if (!try_save_report()) say("main: checked the [[nodiscard]] result: not saved");
  std::this_thread::sleep_for(units(1));  // main's own work
  say("main: done");
}

}  // namespace cmbench::demos::forgotten
