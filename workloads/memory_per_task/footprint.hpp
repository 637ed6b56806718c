// Footprint: how much memory a process grew by while its tasks waited, read from /proc.
//
//   Footprint footprint(p);               // before the first task is made
//   ... make N tasks, let them all start waiting ...
//   Result r = footprint.read(waiting);   // RSS growth, while they wait
//   r.kernel_bytes = footprint.kernel_growth();   // threads and processes only
//   ... set the event, join ...
//   r.peak_rss_bytes = footprint.peak_rss();
//
// What is read, and why:
//  - RSS from /proc/self/statm: the pages this process has touched. A task's memory that was
//    reserved but never touched (most of a thread's 8 MiB stack) does not count; a page
//    touched once counts whole. Before the first reading, malloc_trim(0) hands glibc's free
//    heap pages back to the kernel, so that tasks allocated in them show as growth.
//  - The peak from VmHWM in /proc/self/status, reset at the start by writing 5 to
//    /proc/self/clear_refs (Linux 4.0); where that is refused, the process's own peak.
//  - The kernel's share from /proc/meminfo, KernelStack + PageTables: what a thread or a
//    process costs the kernel beyond its user pages (16 KiB of kernel stack per thread, the
//    page tables a process needs). These are SYSTEM-WIDE figures: anything else running on
//    the machine moves them too, so they are only meaningful at large N. task_struct and
//    the other slab objects of a thread are not in them.
// Cost: a few /proc reads (≈ 50 µs); malloc_trim walks the heap once.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "spec.hpp"

namespace cmbench::memory_per_task {

class Footprint {
 public:
  // Trims the heap, resets the peak, and notes where the process and the kernel start from.
  explicit Footprint(const Params& p);

  // The memory read with `waiting` tasks waiting: a Result with `waiting` and `user_bytes`
  // (this process's RSS growth) filled in. Throws std::runtime_error when the parameters
  // ask for a failure here (Params::fail_while_waiting).
  Result read(std::uint64_t waiting) const;
  // KernelStack + PageTables growth since construction, system-wide (bytes).
  std::int64_t kernel_growth() const;
  // This process's high-water mark of RSS since construction (bytes).
  std::int64_t peak_rss() const;

 private:
  bool fail_;
  std::int64_t rss_;
  std::int64_t kernel_;
};

// The pages a process holds that no other process shares (Private_Clean + Private_Dirty in
// /proc/<pid>/smaps_rollup, bytes): for a forked child, what it wrote since the fork, which is
// what it costs beyond its parent. Throws std::runtime_error if the file cannot be read.
std::int64_t private_bytes(pid_t pid);

}  // namespace cmbench::memory_per_task
