#include "speed_probe.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace cmbench {

namespace {

// The answer one timing's work must give, so that the compiler keeps all of it and a changed
// probe is noticed (the work is then no longer comparable with older runs).
constexpr std::uint64_t expected = 0xcede5ae4c31c9a3eULL;

// One timing: 2^19 dependent steps over a 256 KiB table (in L2 here), ≈ 2.3 ms idle.
double time_once(std::vector<std::uint64_t>& table) {
  const std::size_t slots = table.size();
  for (std::size_t i = 0; i < slots; ++i) table[i] = i * 0x9e3779b97f4a7c15ULL;
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t x = 1;
  for (int i = 0; i < (1 << 19); ++i) {
    x = x * 6364136223846793005ULL + table[x >> 49];  // each step waits on the last
    table[i & (slots - 1)] ^= x;
  }
  const auto took = std::chrono::steady_clock::now() - t0;
  if (x != expected) throw std::logic_error("the speed probe's work gave a wrong answer");
  return std::chrono::duration<double>(took).count();
}

}  // namespace

double probe_speed() {
  // The fastest of four timings: a timing the scheduler interrupted (the last cell's
  // processes being reaped, a kernel thread) is slower, never faster, than the VM's speed.
  std::vector<std::uint64_t> table(std::size_t{1} << 15);
  double fastest = time_once(table);
  for (int i = 1; i < 4; ++i) fastest = std::min(fastest, time_once(table));
  return fastest;
}

}  // namespace cmbench
