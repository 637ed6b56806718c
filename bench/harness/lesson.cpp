#include "lesson.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cells/params.hpp"
#include "demo_run.hpp"
#include "demos/scenario.hpp"
#include "shell.hpp"

namespace fs = std::filesystem;

namespace cmbench {
namespace {

// The scenarios asked for, in the story's order (the registry's), each once; every name is
// checked before anything runs.
std::vector<std::string> select_scenarios(const std::vector<std::string>& names) {
  for (const auto& n : names) demos::find_scenario(n);  // BadInput for an unknown one
  std::vector<std::string> chosen;
  for (const auto& s : demos::scenarios())
    if (names.empty() || std::find(names.begin(), names.end(), s.name) != names.end())
      chosen.emplace_back(s.name);
  return chosen;
}

}  // namespace

int run_lesson(const LessonOptions& o) {
  if (o.unit.count() <= 0) throw BadInput("--unit must be positive, e.g. 1s or 100ms");
  const auto chosen = select_scenarios(o.scenarios);
  fs::create_directories(o.out);

  int status = 0;
  for (const auto& name : chosen) {
    DemoOptions demo;
    demo.unit = o.unit;
    demo.out = o.out;
    if (run_demo(name, demo) != 0) status = 1;
    std::cout << "\n";
  }

  // The page is built from what the runs above wrote: their transcripts, charts and the
  // models' files (the script finds the source tree from its own place).
  std::cout << std::flush;
  const auto script = fs::path(CMBENCH_SOURCE_DIR) / "scripts" / "lesson.py";
  std::string command =
      "/usr/bin/python3 " + shell_quoted(script.string()) + " " + shell_quoted(o.out);
  for (const auto& name : chosen) command += " " + shell_quoted(name);
  if (std::system(command.c_str()) != 0) {
    std::cout << "the lesson page could not be written (see above)\n";
    return 1;
  }
  std::cout << fmt::format("lesson page {}\nits Markdown twin {}\n",
                           (fs::path(o.out) / "lesson.html").string(),
                           (fs::path(o.out) / "lesson.md").string());
  return status;
}

}  // namespace cmbench
