#include "holdings.hpp"

#include <dirent.h>
#include <unistd.h>

#include <fmt/core.h>
#include <fstream>
#include <set>
#include <thread>

namespace cmbench {
namespace {

// The names in a directory, "." and ".." left out.
std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') names.emplace_back(e->d_name);
    closedir(d);
  }
  return names;
}

// A process's or thread's name, from its `comm` file ("" once it is gone).
std::string comm_of(const std::string& proc_dir) {
  std::string name;
  std::getline(std::ifstream(proc_dir + "/comm"), name);
  return name;
}

// "n things (a, b, c)", at most five named.
std::string counted(std::size_t n, const char* one, const char* many,
                    const std::vector<std::string>& named) {
  std::string text = fmt::format("{} {}", n, n == 1 ? one : many);
  if (named.empty()) return text;
  text += " (";
  for (std::size_t i = 0; i < named.size() && i < 5; ++i) text += (i ? ", " : "") + named[i];
  return text + (named.size() > 5 ? ", ...)" : ")");
}

}  // namespace

std::size_t entries(const std::string& dir) {
  return names_in(dir).size();
}

Holdings Holdings::now() {
  Holdings h;
  // The directory's own descriptor, open while it is read, is listed too; it is gone by the
  // time its target is read.
  for (const auto& name : names_in("/proc/self/fd")) {
    char target[256];
    const std::string link = "/proc/self/fd/" + name;
    const ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
    if (n > 0) h.descriptors.emplace(std::stoi(name), std::string(target, std::size_t(n)));
  }
  for (const auto& tid : names_in("/proc/self/task")) {
    const std::string task = "/proc/self/task/" + tid;
    h.threads.push_back(comm_of(task));
    std::ifstream kids(task + "/children");
    for (std::string pid; kids >> pid;)
      h.children.push_back(pid + " (" + comm_of("/proc/" + pid) + ")");
  }
  return h;
}

std::string grown_since(const Holdings& before, const Holdings& after) {
  std::vector<std::string> parts;
  if (after.descriptors.size() > before.descriptors.size()) {
    std::vector<std::string> fresh;  // those whose number or target is new
    for (const auto& [fd, target] : after.descriptors)
      if (auto b = before.descriptors.find(fd);
          b == before.descriptors.end() || b->second != target)
        fresh.push_back(target);
    parts.push_back(counted(after.descriptors.size() - before.descriptors.size(), "descriptor",
                            "descriptors", fresh));
  }
  if (after.threads.size() > before.threads.size()) {
    std::multiset<std::string> had(before.threads.begin(), before.threads.end());
    std::vector<std::string> fresh;  // names beyond those `before` had
    for (const auto& name : after.threads)
      if (auto h = had.find(name); h != had.end())
        had.erase(h);
      else
        fresh.push_back(name);
    parts.push_back(
        counted(after.threads.size() - before.threads.size(), "thread", "threads", fresh));
  }
  if (after.children.size() > before.children.size())
    parts.push_back(counted(after.children.size() - before.children.size(), "child process",
                            "child processes", after.children));
  std::string text;
  for (std::size_t i = 0; i < parts.size(); ++i) text += (i ? ", " : "") + parts[i];
  return text;
}

Holdings settled_holdings(const Holdings& before, std::chrono::milliseconds settle) {
  const auto until = std::chrono::steady_clock::now() + settle;
  for (;;) {
    Holdings h = Holdings::now();
    if (grown_since(before, h).empty() || std::chrono::steady_clock::now() >= until) return h;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace cmbench
