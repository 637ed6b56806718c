// blocking, threads: threading.Thread per chunk, then join() each. Four threads on two
// cores: two chunks compute at any moment, so the four take about half the time they take
// one after another (in Python the GIL would forbid it; C++ threads have no such lock).
// A blocking call blocks only the thread that makes it: the ticker's thread keeps ticking.
#include <thread>
#include <vector>

#include "demo.hpp"
#include "kernel.hpp"
#include "spec.hpp"

namespace cmbench::demos::blocking {

namespace {

void ticker() {
  for (int n = 1; n <= ticks; ++n) {
    std::this_thread::sleep_for(units(tick_units));
    say("tick {}", n);
  }
}

void blocker() {
  std::this_thread::sleep_for(units(block_after_units));
  say("blocking call: sleep 1 unit");
  std::this_thread::sleep_for(units(block_units));  // blocks this thread, and only it
  say("blocking call returned");
}

}  // namespace

void threads() {
  const std::uint64_t rounds = rounds_for(units(chunk_units));

  // Part A: a thread per chunk.
  const double began = elapsed_s();
  std::vector<std::thread> workers;
  for (int n = 1; n <= chunks; ++n) workers.emplace_back(chunk, "threads", n, rounds);
  for (auto& t : workers) t.join();
  say("threads: {} chunks in {:.2f} s", chunks, elapsed_s() - began);

  // Part B: the ticker and the blocking call, each on a thread of its own.
  std::thread tick_thread(ticker), block_thread(blocker);
  tick_thread.join();
  block_thread.join();
}

}  // namespace cmbench::demos::blocking
