// Recording the environment a run was measured in, with every result: commit, build, flags,
// compiler, CPU, cores, kernel, library versions, and the process's tuning (timer slack,
// malloc, placement: process_tuning.hpp). Keys start with `cmbench_` and land in Google
// Benchmark's JSON context. Reading only: nothing here changes the process.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace cmbench {

using Environment = std::vector<std::pair<std::string, std::string>>;

// The environment now, as (key, value) pairs.
Environment environment();

// /proc/loadavg's 1, 5 and 15 minute averages: "0.42 1.43 1.76".
std::string load_average();

// `git describe --always --dirty` of the source tree (runs git: call it outside cells).
std::string describe_commit();

}  // namespace cmbench
