// errors, sequential: plain calls. A try around each call keeps each failure as that
// call's result; one try around the loop stops at the first failure, so the later tasks
// never start: there is nothing to cancel, since nothing else was running.
#include <stdexcept>
#include <thread>

#include "demo.hpp"
#include "spec.hpp"

namespace cmbench::demos::errors {

namespace {

int task(int n, double wait) {
  say("Task {} started", n);
  std::this_thread::sleep_for(units(wait));
  if (n == 1) {
    say("Task 1 raises an error");
    throw std::runtime_error("error in Task 1");
  }
  say("Task {} finished", n);
  return n;
}

}  // namespace

void sequential() {
  say("-- errors collected with the results");
  for (int n = 1; n <= 3; ++n) {
    try {
      say("Task {} -> {}", n, task(n, n));  // task n waits n units
    } catch (const std::exception& e) {
      say("Task {} -> error: {}", n, e.what());
    }
  }

  say("-- cancel the siblings on the first failure");
  try {
    for (int n = 1; n <= 3; ++n) task(n, n);
  } catch (const std::exception& e) {
    say("first failure: {}", e.what());  // Task 2 and Task 3 never started
  }
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::errors
