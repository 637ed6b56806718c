#include "leftovers.hpp"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

namespace cmbench {
namespace fs = std::filesystem;

namespace {

struct Process {
  pid_t pid;
  std::string name;
  bool zombie;
};

// This process's children, from /proc/<pid>/stat ("pid (name) state ppid ...").
std::vector<Process> children_of_this_process() {
  std::vector<Process> found;
  const pid_t self = getpid();
  DIR* d = opendir("/proc");
  if (!d) return found;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;
    const auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    if (rest >> state >> ppid && ppid == self)
      found.push_back({static_cast<pid_t>(std::stol(e->d_name)),
                       stat.substr(open + 1, close - open - 1), state == 'Z'});
  }
  closedir(d);
  return found;
}

std::string listed(std::size_t n, const char* one, const char* many,
                   const std::vector<std::string>& named) {
  std::string text = fmt::format("{} {} (", n, n == 1 ? one : many);
  for (std::size_t i = 0; i < named.size() && i < 5; ++i) text += (i ? ", " : "") + named[i];
  return text + (named.size() > 5 ? ", ...)" : ")");
}

}  // namespace

Leftovers::Leftovers() {
  if (const char* t = std::getenv("TMPDIR")) old_tmpdir_ = t;
  const std::string base = old_tmpdir_ && !old_tmpdir_->empty() ? *old_tmpdir_ : "/var/tmp";
  std::string name = (fs::path(base) / "cmbench-cells-XXXXXX").string();
  if (!mkdtemp(name.data()))
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + name);
  dir_ = name;
  setenv("TMPDIR", name.c_str(), 1);
  prctl(PR_GET_CHILD_SUBREAPER, &old_subreaper_);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
}

Leftovers::~Leftovers() {
  collect();
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
  if (old_tmpdir_)
    setenv("TMPDIR", old_tmpdir_->c_str(), 1);
  else
    unsetenv("TMPDIR");
  prctl(PR_SET_CHILD_SUBREAPER, old_subreaper_);
}

std::string Leftovers::collect() {
  std::vector<std::string> running, files;
  // A killed leftover's own children come back to this process in turn: a few rounds.
  for (int round = 0; round < 10; ++round) {
    const std::vector<Process> found = children_of_this_process();
    if (found.empty()) break;
    for (const Process& p : found) {
      if (!p.zombie) {
        running.push_back(fmt::format("{} {}", p.name, p.pid));
        ::kill(p.pid, SIGKILL);
      }
      ::waitpid(p.pid, nullptr, 0);
    }
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    files.push_back(entry.path().filename().string());
    fs::remove_all(entry.path(), ec);
  }
  std::string text;
  if (!running.empty())
    text = listed(running.size(), "process running", "processes running", running);
  if (!files.empty())
    text += (text.empty() ? "" : ", ") +
            listed(files.size(), "temporary file", "temporary files", files);
  return text;
}

}  // namespace cmbench
