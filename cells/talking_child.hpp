// TalkingChild: a program the suite talks to a line at a time over its stdin and stdout (a
// Python row's interpreter, an MPI job), its stderr kept in a temporary file so that an error
// can quote what the program said. What the lines mean is the caller's protocol.
//
// Guarantees: the stderr file is removed, and a program that still runs is killed (its group,
// if it leads one) and reaped, when the TalkingChild is destroyed. Cost: a Child (one
// posix_spawn, two pipes) and one temporary file. Thread-safety: one thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "cells/child_process.hpp"

namespace cmbench {

class TalkingChild {
 public:
  // Starts argv (argv[0] a path) with stdin and stdout piped; `who` names it in errors ("the
  // Python row"). Throws CannotStart if the program cannot start, std::system_error if the
  // temporary file cannot be made.
  TalkingChild(const std::vector<std::string>& argv, std::string who, bool new_group = false);
  ~TalkingChild();
  TalkingChild(const TalkingChild&) = delete;
  TalkingChild& operator=(const TalkingChild&) = delete;

  Child& child() { return child_; }
  // The next line the program writes. Throws std::runtime_error, with the end of its stderr,
  // if it closes its stdout first or says nothing by `deadline`; `waiting` says when ("at
  // start").
  std::string line(std::chrono::steady_clock::time_point deadline, const std::string& waiting);
  // The last 4 000 characters the program wrote on stderr.
  std::string stderr_text() const;

 private:
  static std::filesystem::path make_errors_file();

  std::string who_;
  std::filesystem::path errors_;
  Child child_;
};

}  // namespace cmbench
