#include "footprint.hpp"

#include <malloc.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <string>

namespace cmbench::memory_per_task {
namespace {

std::int64_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::int64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) throw std::runtime_error("cannot read /proc/self/statm");
  return resident * ::sysconf(_SC_PAGESIZE);
}

// The sum of the "<key>: <n> kB" lines named in `keys`, in bytes (meminfo, status,
// smaps_rollup all write their figures so).
std::int64_t sum_kib_fields(const std::string& path, std::initializer_list<std::string> keys) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot read " + path);
  std::int64_t total = 0;
  std::string line;
  while (std::getline(file, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    for (const auto& wanted : keys)
      if (line.compare(0, colon, wanted) == 0) total += std::stoll(line.substr(colon + 1)) * 1024;
  }
  return total;
}

std::int64_t kernel_bytes() {
  return sum_kib_fields("/proc/meminfo", {"KernelStack", "PageTables"});
}

}  // namespace

Footprint::Footprint(const Params& p) : fail_(p.fail_while_waiting) {
  ::malloc_trim(0);
  // Resetting the peak is a courtesy of Linux ≥ 4.0: without it the peak is the process's.
  std::ofstream("/proc/self/clear_refs") << "5";
  rss_ = rss_bytes();
  kernel_ = kernel_bytes();
}

Result Footprint::read(std::uint64_t waiting) const {
  if (fail_) throw std::runtime_error("failing while all tasks wait, as the test asked");
  Result r;
  r.waiting = waiting;
  r.user_bytes = rss_bytes() - rss_;
  return r;
}

std::int64_t Footprint::kernel_growth() const {
  return kernel_bytes() - kernel_;
}

std::int64_t Footprint::peak_rss() const {
  return sum_kib_fields("/proc/self/status", {"VmHWM"});
}

std::int64_t private_bytes(pid_t pid) {
  return sum_kib_fields("/proc/" + std::to_string(pid) + "/smaps_rollup",
                        {"Private_Clean", "Private_Dirty"});
}

}  // namespace cmbench::memory_per_task
