// A task's own account of when it ran: [start, end) on CLOCK_MONOTONIC, in nanoseconds.
//
// CLOCK_MONOTONIC is one clock for every thread and every process of the machine, so spans
// recorded in forked children compare with spans recorded in the parent. The verifiers use
// spans to check that the work really happened (a wait of d lasted at least d) and to measure
// the overlap the model achieved (peak tasks in flight) instead of trusting the model's word.
// Cost: one clock read (≈ 23 ns here) at each end.
#pragma once

#include <cstdint>
#include <ctime>
#include <span>

namespace cmbench {

inline std::int64_t monotonic_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

struct Span {
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  std::int64_t length_ns() const { return end_ns - start_ns; }
};

// The largest number of spans that contain a common instant (touching ends do not overlap).
// O(n log n); called by verifiers outside the timed region.
std::uint64_t peak_overlap(std::span<const Span> spans);

}  // namespace cmbench
