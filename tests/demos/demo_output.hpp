// Running a demo as a teacher would (`cmbench demo S -m M`) and reading what it printed,
// for the tests that hold every demo to its spec (demos/<scenario>/spec.hpp).
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "../run_command.hpp"

namespace demo_test {

// One timeline line: "[+2.003 s  thread A]  Task 3 finished".
struct Said {
  double units = 0;  // the time, in units of the run
  std::string lane;  // "thread A", "process B"
  std::string text;  // "Task 3 finished"
};

struct DemoOutput {
  int status = -1;
  std::string text;         // everything printed (for failure messages)
  std::vector<Said> lines;  // the timeline lines, in the order printed
  std::string lesson;       // the "lesson: " line, without the prefix

  // The first line whose text is `text` exactly, as an index into lines; npos when none.
  std::size_t find(const std::string& text) const {
    for (std::size_t i = 0; i < lines.size(); ++i)
      if (lines[i].text == text) return i;
    return npos;
  }
  // The first line whose text starts with `prefix`; npos when none.
  std::size_t find_prefix(const std::string& prefix) const {
    for (std::size_t i = 0; i < lines.size(); ++i)
      if (lines[i].text.rfind(prefix, 0) == 0) return i;
    return npos;
  }
  bool said(const std::string& text) const { return find(text) != npos; }
  // The lines of one part of a demo: those after its heading ("-- results in call order")
  // and before the next "-- " heading.
  std::vector<Said> part(const std::string& heading) const {
    std::vector<Said> out;
    bool in = false;
    for (const auto& l : lines) {
      if (l.text.rfind("-- ", 0) == 0)
        in = l.text == heading;
      else if (in)
        out.push_back(l);
    }
    return out;
  }
  // The time of the first line that is `text`, in units; -1 when it was never said.
  double at(const std::string& text) const {
    std::size_t i = find(text);
    return i == npos ? -1 : lines[i].units;
  }
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
};

inline constexpr int unit_ms = 100;

// "[+2.003 s  thread A ]  Task 3 finished", or nothing for any other line.
inline std::optional<Said> parse_line(const std::string& l) {
  if (l.rfind("[+", 0) != 0) return std::nullopt;
  const std::size_t seconds_end = l.find(" s  ");
  const std::size_t lane_end = l.find("]  ");
  if (seconds_end == std::string::npos || lane_end == std::string::npos || lane_end < seconds_end)
    return std::nullopt;
  Said s;
  try {
    s.units = std::stod(l.substr(2, seconds_end - 2)) * 1000.0 / unit_ms;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  s.lane = l.substr(seconds_end + 4, lane_end - seconds_end - 4);
  while (!s.lane.empty() && s.lane.back() == ' ') s.lane.pop_back();
  if (s.lane.rfind("thread ", 0) != 0 && s.lane.rfind("process ", 0) != 0) return std::nullopt;
  s.text = l.substr(lane_end + 3);
  return s;
}

// `cmbench demo <scenario> -m <model> --unit 100ms --no-chart`, in a directory of its own.
inline DemoOutput run(const std::string& scenario, const std::string& model,
                      const std::string& extra = "") {
  static std::atomic<int> serial{0};
  const auto out =
      std::filesystem::temp_directory_path() /
      ("cmbench-demo-test-" + std::to_string(::getpid()) + "-" + std::to_string(serial++));
  auto o = test_support::run_command(
      CMBENCH_EXE, "demo " + scenario + " -m " + model + " --unit " + std::to_string(unit_ms) +
                       "ms --no-chart --out " + out.string() + " " + extra);
  std::filesystem::remove_all(out);
  DemoOutput d;
  d.status = o.status;
  d.text = o.text;
  std::istringstream in(o.text);
  for (std::string l; std::getline(in, l);) {
    if (auto said = parse_line(l)) {
      d.lines.push_back(*said);
    } else if (l.rfind("lesson: ", 0) == 0) {
      d.lesson = l.substr(8);
    }
  }
  return d;
}

// The seven models, for INSTANTIATE_TEST_SUITE_P.
inline const std::vector<std::string> models = {"sequential", "threads", "processes", "callbacks",
                                                "futures",    "fibers",  "coroutines"};

}  // namespace demo_test
