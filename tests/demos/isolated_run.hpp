// Running a demo so that what it leaves behind can be seen: $TMPDIR is a directory of the
// test's own (whatever the demo does not remove stays there), and every process the demo
// starts inherits a mark in its environment, by which any that outlive it are found.
#pragma once

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "demo_output.hpp"

namespace demo_test {

struct IsolatedRun {
  std::filesystem::path tmp;  // the demo's $TMPDIR
  std::string mark;           // "CMBENCH_DEMO_TEST_MARK=<pid>-<model>"
  DemoOutput d;

  IsolatedRun(const std::string& scenario, const std::string& model) {
    const std::string id = std::to_string(::getpid()) + "-" + scenario + "-" + model;
    tmp = std::filesystem::temp_directory_path() / ("cmbench-isolated-" + id);
    std::filesystem::remove_all(tmp);
    std::filesystem::create_directories(tmp);
    mark = "CMBENCH_DEMO_TEST_MARK=" + id;
    const char* before = std::getenv("TMPDIR");
    const std::string saved = before ? before : "";
    ::setenv("TMPDIR", tmp.c_str(), 1);
    ::setenv("CMBENCH_DEMO_TEST_MARK", id.c_str(), 1);
    d = run(scenario, model);
    ::unsetenv("CMBENCH_DEMO_TEST_MARK");
    if (before)
      ::setenv("TMPDIR", saved.c_str(), 1);
    else
      ::unsetenv("TMPDIR");
  }
  ~IsolatedRun() { std::filesystem::remove_all(tmp); }
  IsolatedRun(const IsolatedRun&) = delete;
  IsolatedRun& operator=(const IsolatedRun&) = delete;

  bool tmp_is_empty() const { return std::filesystem::is_empty(tmp); }

  // The pids of live processes (zombies have no environment to read) that carry the mark.
  std::vector<int> leftover_processes() const {
    std::vector<int> found;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::ifstream env(entry.path() / "environ", std::ios::binary);
      const std::string all((std::istreambuf_iterator<char>(env)), {});
      if (all.find(mark + '\0') != std::string::npos || all.ends_with(mark))
        found.push_back(std::stoi(name));
    }
    return found;
  }
};

}  // namespace demo_test
