#include "usage.hpp"

#include <sys/resource.h>

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

#include "span.hpp"

namespace cmbench {
namespace {
std::int64_t ns(const timeval& tv) {
  return std::int64_t{tv.tv_sec} * 1'000'000'000 + std::int64_t{tv.tv_usec} * 1000;
}
}  // namespace

Usage Usage::now() {
  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  Usage u;
  u.wall_ns = monotonic_ns();
  u.cpu_ns = ns(self.ru_utime) + ns(self.ru_stime) + ns(children.ru_utime) + ns(children.ru_stime);
  u.voluntary_cs = self.ru_nvcsw + children.ru_nvcsw;
  u.involuntary_cs = self.ru_nivcsw + children.ru_nivcsw;
  u.peak_rss_kib = self.ru_maxrss;
  u.child_peak_rss_kib = children.ru_maxrss;
  return u;
}

Usage Usage::operator-(const Usage& e) const {
  Usage d = *this;
  d.wall_ns -= e.wall_ns;
  d.cpu_ns -= e.cpu_ns;
  d.voluntary_cs -= e.voluntary_cs;
  d.involuntary_cs -= e.involuntary_cs;
  return d;
}

Usage& Usage::operator+=(const Usage& d) {
  wall_ns += d.wall_ns;
  cpu_ns += d.cpu_ns;
  voluntary_cs += d.voluntary_cs;
  involuntary_cs += d.involuntary_cs;
  peak_rss_kib = std::max(peak_rss_kib, d.peak_rss_kib);
  child_peak_rss_kib = std::max(child_peak_rss_kib, d.child_peak_rss_kib);
  return *this;
}

namespace {

// Adds `pid` and its descendants to `out`, leaving out the subtree of `exclude`.
void add_tree(int pid, int exclude, CpuSample& out) {
  if (pid == exclude) return;
  clockid_t clock;
  timespec ts{};
  if (clock_getcpuclockid(pid, &clock) != 0 || clock_gettime(clock, &ts) != 0) return;  // gone
  out[pid] = std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  // A process's children are listed per thread (/proc/PID/task/TID/children); the
  // processes of this suite fork from their main thread or from a known few, so read all.
  std::error_code ec;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream children(task.path() / "children");
    int child;
    while (children >> child) add_tree(child, exclude, out);
  }
}

}  // namespace

CpuSample tree_cpu_ns(int exclude) {
  CpuSample s;
  add_tree(static_cast<int>(getpid()), exclude, s);
  return s;
}

std::int64_t cpu_between(const CpuSample& earlier, const CpuSample& later) {
  std::int64_t total = 0;
  for (const auto& [pid, ns] : later)
    if (auto it = earlier.find(pid); it != earlier.end()) total += ns - it->second;
  return total;
}

}  // namespace cmbench
