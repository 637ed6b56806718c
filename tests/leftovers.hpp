// What a test process holds right now, read from /proc: enough to check that a run left no
// descriptor, thread or child behind.
//   entries("/proc/self/fd"), entries("/proc/self/task"): its descriptors, its threads;
//   children(): its child processes, from every thread's /proc children list.
#pragma once

#include <dirent.h>

#include <cstddef>
#include <fstream>
#include <string>

namespace cmbench::test_support {

// The entries of a directory, "." and ".." left out; 0 if it cannot be opened.
inline std::size_t entries(const std::string& dir) {
  std::size_t n = 0;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
  }
  return n;
}

inline std::size_t children() {
  std::size_t n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream in(std::string("/proc/self/task/") + e->d_name + "/children");
      std::string pid;
      while (in >> pid) ++n;
    }
    closedir(d);
  }
  return n;
}

}  // namespace cmbench::test_support
