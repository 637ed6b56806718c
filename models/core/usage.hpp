// Resource usage of this process and of its reaped children, read with getrusage(2).
//
// A run's CPU utilisation is (user + system time of the process and of the children it has
// waited for) ÷ wall time: above 1 means parallelism, far below 1 with a wall time much
// shorter than the sum of the tasks' waits means concurrency on I/O. Children count only
// once reaped, which every model that forks does before a run returns. Cost: two syscalls
// and one clock read (≈ 0.4 µs).
#pragma once

#include <cstdint>

namespace cmbench {

struct Usage {
  std::int64_t wall_ns = 0;
  std::int64_t cpu_ns = 0;              // self + reaped children, user + system
  std::int64_t voluntary_cs = 0;        // self + children: blocked (waits, I/O)
  std::int64_t involuntary_cs = 0;      // self + children: preempted
  std::int64_t peak_rss_kib = 0;        // this process's high-water mark
  std::int64_t child_peak_rss_kib = 0;  // the largest reaped child's high-water mark

  static Usage now();
  Usage operator-(const Usage& earlier) const;  // deltas; peaks are kept, not subtracted
  Usage& operator+=(const Usage& delta);
};

}  // namespace cmbench

#include <map>

namespace cmbench {

// CPU time (user + system, ns) of this process and of each of its living descendants, by
// pid, read from each process's CPU-time clock (clock_getcpuclockid: ns resolution, all
// threads). The subtree rooted at `exclude` (a load generator, say) is left out. Cost: a
// /proc read per process and a clock read per process (≈ 10 µs for a few processes).
using CpuSample = std::map<int, std::int64_t>;
CpuSample tree_cpu_ns(int exclude = -1);
// The CPU spent between two samples by the processes present in both (one that started or
// ended in between is not counted: sample while the processes of interest live).
std::int64_t cpu_between(const CpuSample& earlier, const CpuSample& later);

}  // namespace cmbench
