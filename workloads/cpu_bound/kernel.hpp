// The CPU kernel every model of cpu_bound runs, written once: count the primes in
// [lo, hi) by trial division. Pure computation (no memory traffic, no system calls), the
// same instructions in every model, and cheap to verify by an independent method (a
// segmented sieve, in spec.cpp).
//
// Cost here: ≈ 1.75 µs per number near 10^9 (64-bit divisions up to √n for each prime
// candidate), so a chunk of 3 000 numbers is ≈ 5 ms of work.
#pragma once

#include <cstdint>

namespace cmbench::cpu_bound {

inline bool is_prime(std::uint64_t n) {
  if (n < 2) return false;
  if (n % 2 == 0) return n == 2;
  for (std::uint64_t f = 3; f * f <= n; f += 2)
    if (n % f == 0) return false;
  return true;
}

inline std::uint64_t count_primes(std::uint64_t lo, std::uint64_t hi) {
  std::uint64_t count = 0;
  for (auto n = lo; n < hi; ++n) count += is_prime(n);
  return count;
}

}  // namespace cmbench::cpu_bound
