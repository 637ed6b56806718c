// Running a program from a test, as a user would from a shell: its exit status and what it
// printed on stdout and stderr together.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace test_support {

struct Output {
  int status;        // the exit status, or 128 + the signal that killed it
  std::string text;  // stdout and stderr
};

inline Output run_command(const std::string& exe, const std::string& args) {
  std::string cmd = exe + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  Output o{-1, {}};
  if (!p) return o;
  std::array<char, 4096> buf{};
  while (std::size_t n = fread(buf.data(), 1, buf.size(), p)) o.text.append(buf.data(), n);
  int st = pclose(p);
  o.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return o;
}

}  // namespace test_support
