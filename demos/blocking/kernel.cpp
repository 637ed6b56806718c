#include "kernel.hpp"

#include <algorithm>

#include "demo.hpp"
#include "models/core/span.hpp"

namespace cmbench::demos::blocking {

std::uint64_t crunch(std::uint64_t rounds) noexcept {
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  for (std::uint64_t i = 0; i < rounds; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    asm volatile("" : "+r"(x));  // each round is computed, none folded away
  }
  return x;
}

namespace {

// Rounds per µs: the fastest of three probes of ≥ 10 ms each (a probe that another process
// interrupted is slower, never faster, than the machine).
double rounds_per_us() {
  double best = 0;
  for (int probe = 0; probe < 3; ++probe) {
    std::uint64_t rounds = 1 << 16;
    for (;;) {
      const std::int64_t start = monotonic_ns();
      crunch(rounds);
      const std::int64_t took = monotonic_ns() - start;
      if (took >= 10'000'000) {
        best = std::max(best, static_cast<double>(rounds) * 1e3 / static_cast<double>(took));
        break;
      }
      rounds *= 2;
    }
  }
  return best;
}

}  // namespace

std::uint64_t rounds_for(std::chrono::microseconds d) {
  static const double rate = rounds_per_us();
  return static_cast<std::uint64_t>(rate * static_cast<double>(d.count()));
}

std::uint64_t chunk(std::string_view where, int n, std::uint64_t rounds) {
  say("{}: chunk {} started", where, n);
  const std::uint64_t sum = crunch(rounds);
  say("{}: chunk {} finished", where, n);
  return sum;
}

}  // namespace cmbench::demos::blocking
