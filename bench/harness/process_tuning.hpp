// Tuning the process before it measures: what cmbench does to itself so that every cell
// runs alike. The settings are inherited by the threads and processes started afterwards,
// and recorded with every result (recorded_environment.hpp).
#pragma once

#include <string>
#include <vector>

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

// Confines every thread of this process to `cpu` (threads and processes started afterwards
// inherit it): the one-CPU budget of `cmbench suite --cpus 1`. Throws BadInput when the CPU
// is not one this process may use. Another CPU it could use, if any, is named in
// CMBENCH_SPARE_CPU, for a server's load generator.
void confine_to_cpu(int cpu);
// When the command line asks for `--confine-to-cpu N` and this process may run elsewhere
// too, starts it again (exec) confined to N, so that the libraries that read the CPU mask
// as they load see one CPU: TBB keeps the mask it found and gives it to every worker it
// starts (a worker confined afterwards would not stay so). Returns if there is nothing to
// do, or if N is not a CPU this process may use (confine_to_cpu then says so).
void restart_confined(int argc, char** argv);
// The CPUs this process may run on, in order.
std::vector<int> allowed_cpus();
// "0-1", "1", "0,2-3": a CPU list as the kernel writes one.
std::string cpu_list_text(const std::vector<int>& cpus);

}  // namespace cmbench
