// Tuning the process before it measures: what cmbench does to itself so that every cell
// runs alike. The settings are inherited by the threads and processes started afterwards,
// and recorded with every result (recorded_environment.hpp).
#pragma once

namespace cmbench {

// Sets this thread's timer slack (inherited by threads and processes started afterwards).
// The default 50 µs slack makes a 1 ms sleep oversleep by ≈ 75 µs here; every cell runs
// with the same slack, recorded in the environment.
void set_timer_slack(long ns);
// This thread's timer slack, in ns.
long timer_slack();

// Makes glibc keep freed memory for reuse instead of returning it to the kernel (trim
// threshold 1 GiB; blocks up to 64 MiB from the heap, not from their own mmap). Without it
// a run's result vectors and pools are handed back and faulted in again by the next run,
// erratically (0 to 80 k page faults per run seen here), whatever the model. Applied to
// every cell alike and recorded in the environment.
void keep_freed_memory();
// Whether keep_freed_memory() was called in this process.
bool freed_memory_kept();

}  // namespace cmbench
