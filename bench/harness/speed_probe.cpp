#include "speed_probe.hpp"

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace cmbench {

namespace {
// The answer the work must give, so that the compiler keeps all of it and a changed probe is
// noticed (the work is then no longer comparable with older runs).
constexpr std::uint64_t expected = 0xc06f04d887178614ULL;
}  // namespace

double probe_speed() {
  constexpr std::size_t slots = 1 << 15;  // 256 KiB of 8-byte slots: in L2 here
  constexpr int rounds = 1 << 21;
  std::vector<std::uint64_t> table(slots);
  for (std::size_t i = 0; i < slots; ++i) table[i] = i * 0x9e3779b97f4a7c15ULL;
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t x = 1;
  for (int i = 0; i < rounds; ++i) {
    x = x * 6364136223846793005ULL + table[x >> 49];  // each step waits on the last
    table[i & (slots - 1)] ^= x;
  }
  const auto took = std::chrono::steady_clock::now() - t0;
  if (x != expected) throw std::logic_error("the speed probe's work gave a wrong answer");
  return std::chrono::duration<double>(took).count();
}

}  // namespace cmbench
