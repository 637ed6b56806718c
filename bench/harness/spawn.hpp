// Running another program for the harness (a cell, the micro-benchmarks, the report, a
// traced run): its own process group, its output in a log file, a time limit.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "cells/child_process.hpp"  // describe_status, for the callers' messages

namespace cmbench {

struct Spawned {
  pid_t pid = -1;
  int status = 0;          // as waitpid gives it
  bool timed_out = false;  // killed at the time limit
  bool stopped = false;    // killed because `tick` asked to stop
};

// Runs argv in a new process group with stdout and stderr in `log`; waits up to `limit`
// seconds, then kills the whole group (a timeout kills what the child forked too). Calls
// `tick` about every 20 ms while waiting; when it returns true the group is killed at once.
// A program that cannot start exits with status 127, the reason in its log, as a shell's
// would. Throws std::system_error if the log cannot be opened.
Spawned spawn_and_wait(
    const std::vector<std::string>& argv, const std::filesystem::path& log, double limit,
    const std::function<bool()>& tick = [] { return false; });

}  // namespace cmbench
