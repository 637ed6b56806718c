#include "process_tuning.hpp"

#include <malloc.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdlib>

#include <fmt/core.h>
#include <algorithm>
#include <filesystem>
#include <string_view>

#include "cells/params.hpp"

namespace cmbench {
namespace {
bool kept = false;
}

void set_timer_slack(long ns) {
  prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(ns), 0, 0, 0);
}

long timer_slack() {
  return prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
}

void keep_freed_memory() {
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  kept = true;
}

bool freed_memory_kept() {
  return kept;
}

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

std::string cpu_list_text(const std::vector<int>& cpus) {
  std::string text;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    text += (text.empty() ? "" : ",") +
            (j == i ? fmt::format("{}", cpus[i]) : fmt::format("{}-{}", cpus[i], cpus[j]));
    i = j + 1;
  }
  return text;
}

void restart_confined(int argc, char** argv) {
  int cpu = -1;
  for (int i = 1; i < argc && cpu < 0; ++i) {
    const std::string_view a = argv[i], flag = "--confine-to-cpu";
    if (a == flag && i + 1 < argc) {
      cpu = std::atoi(argv[i + 1]);
    } else if (a.starts_with(flag) && a.size() > flag.size() && a[flag.size()] == '=') {
      cpu = std::atoi(argv[i] + flag.size() + 1);
    }
  }
  if (cpu < 0 || cpu >= CPU_SETSIZE || allowed_cpus() == std::vector<int>{cpu}) return;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  if (sched_setaffinity(0, sizeof one, &one) < 0) return;
  execv("/proc/self/exe", argv);
}

void confine_to_cpu(int cpu) {
  const auto allowed = allowed_cpus();
  if (std::find(allowed.begin(), allowed.end(), cpu) == allowed.end())
    throw BadInput(fmt::format("--confine-to-cpu {}: this process may run on CPUs {} only", cpu,
                               cpu_list_text(allowed)));
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  // Every thread: a library may have started one already (each has its own mask).
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec))
    if (sched_setaffinity(std::stoi(task.path().filename()), sizeof one, &one) < 0)
      throw BadInput(
          fmt::format("cannot confine thread {} to CPU {}", task.path().filename().string(), cpu));
  if (ec) throw BadInput("cannot list this process's threads: " + ec.message());
  // A server's load generator may run on another (serving/under_load.cpp).
  for (int other : allowed)
    if (other != cpu) {
      setenv("CMBENCH_SPARE_CPU", std::to_string(other).c_str(), 1);
      break;
    }
}

}  // namespace cmbench
