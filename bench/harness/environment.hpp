// The environment a run was measured in, recorded with every result: commit, build, flags,
// compiler, CPU, cores, kernel, library versions, timer slack and placement. Keys start with
// `cmbench_` and land in Google Benchmark's JSON context.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace cmbench {

using Environment = std::vector<std::pair<std::string, std::string>>;

// Sets this thread's timer slack (inherited by threads and processes started afterwards).
// The default 50 µs slack makes a 1 ms sleep oversleep by ≈ 75 µs here; every cell runs
// with the same slack, recorded in the environment.
void set_timer_slack(long ns);
long timer_slack();

// Makes glibc keep freed memory for reuse instead of returning it to the kernel (trim
// threshold 1 GiB; blocks up to 64 MiB from the heap, not from their own mmap). Without it
// a run's result vectors and pools are handed back and faulted in again by the next run,
// erratically (0 to 80 k page faults per run seen here), whatever the model. Applied to
// every cell alike and recorded in the environment.
void keep_freed_memory();

Environment environment();

// /proc/loadavg's 1, 5 and 15 minute averages: "0.42 1.43 1.76".
std::string load_average();

// `git describe --always --dirty` of the source tree (runs git: call it outside cells).
std::string describe_commit();

}  // namespace cmbench
