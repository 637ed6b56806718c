// What `ps` shows of a process or thread, read from Linux's /proc: its name and its state
// letter (R running, S sleeping, Z a zombie: ended, not yet reaped). For the demos that
// show the kernel's view of their tasks (forgotten, monitor).
#pragma once

#include <fstream>
#include <optional>
#include <string>

namespace cmbench::demos {

struct ProcStat {
  std::string name;  // "worker-3" (the kernel keeps 15 characters)
  char state = '?';
};

// From a stat file: "/proc/<pid>/stat" or "/proc/self/task/<tid>/stat". Empty if it cannot
// be read (the process or thread is gone).
inline std::optional<ProcStat> read_proc_stat(const std::string& path) {
  std::ifstream stat(path);
  std::string line;
  if (!std::getline(stat, line)) return std::nullopt;
  // "1234 (worker-3) S 1 …": the name may hold spaces and parentheses, so take the last ')'.
  const auto open = line.find('('), close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close + 2 >= line.size())
    return std::nullopt;
  return ProcStat{line.substr(open + 1, close - open - 1), line[close + 2]};
}

inline std::optional<ProcStat> read_proc_stat(int pid) {
  return read_proc_stat("/proc/" + std::to_string(pid) + "/stat");
}

}  // namespace cmbench::demos
