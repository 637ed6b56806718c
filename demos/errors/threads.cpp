// errors, threads: std::async's futures keep what their task raised, and get() raises it
// again in the reader: read in turn, each failure is one result among the others. A thread
// cannot be killed from outside, so cancelling is cooperative: the tasks wait on a
// condition variable that also wakes on a stop request (std::stop_source, the flag a
// Python program keeps in a threading.Event), and whoever fails first raises it.
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <thread>
#include <vector>

#include "demo.hpp"
#include "spec.hpp"

namespace cmbench::demos::errors {

namespace {

// Waits `wait` units, or less if a stop is requested meanwhile: true if it was.
bool stopped_while_waiting(std::stop_token stop, double wait) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait_for(lock, stop, units(wait), [] { return false; });  // nothing but time or a stop
  return stop.stop_requested();
}

int task(int n, double wait, std::stop_token stop = {}) {
  say("Task {} started", n);
  if (stopped_while_waiting(stop, wait)) {
    say("Task {} cancelled, cleaning up", n);
    return 0;
  }
  if (n == 1) {
    say("Task 1 raises an error");
    throw std::runtime_error("error in Task 1");
  }
  say("Task {} finished", n);
  return n;
}

}  // namespace

void threads() {
  say("-- errors collected with the results");
  std::vector<std::future<int>> futures;  // executor.submit(task, n, n)
  for (int n = 1; n <= 3; ++n)
    futures.push_back(std::async(std::launch::async, task, n, n, std::stop_token{}));
  for (int n = 1; n <= 3; ++n) {
    try {
      say("Task {} -> {}", n, futures[n - 1].get());
    } catch (const std::exception& e) {
      say("Task {} -> error: {}", n, e.what());
    }
  }

  say("-- cancel the siblings on the first failure");
  std::stop_source stop;
  std::vector<std::jthread> workers;
  for (int n = 1; n <= 3; ++n)
    workers.emplace_back([&stop, n] {
      try {
        task(n, n, stop.get_token());
      } catch (const std::exception& e) {
        if (stop.request_stop()) say("first failure: {}", e.what());  // the first to fail
      }
    });
  workers.clear();  // a jthread joins when it goes
  say("3 threads joined");
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::errors
