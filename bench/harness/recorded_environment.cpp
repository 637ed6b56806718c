#include "recorded_environment.hpp"

#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/core.h>
#include <oneapi/tbb/version.h>
#include <array>
#include <boost/version.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "process_tuning.hpp"

#ifndef CMBENCH_SOURCE_DIR
#define CMBENCH_SOURCE_DIR "."
#endif
#ifndef CMBENCH_BUILD_TYPE
#define CMBENCH_BUILD_TYPE "unknown"
#endif
#ifndef CMBENCH_BUILD_FLAGS
#define CMBENCH_BUILD_FLAGS "unknown"
#endif
#ifndef CMBENCH_BENCHMARK_VERSION
#define CMBENCH_BENCHMARK_VERSION "unknown"
#endif

namespace cmbench {
namespace {

std::string command_output(const std::string& cmd) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) return {};
  std::string out;
  std::array<char, 256> buf{};
  while (fgets(buf.data(), buf.size(), pipe.get())) out += buf.data();
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// The commit, without starting a process: a cell's process must not fork anything of its own
// (a `git` child would count in its children's CPU time and peak RSS). Reads .git directly;
// the suite runner, which may fork, passes `git describe --dirty` down in CMBENCH_COMMIT.
std::string git_head(const std::string& source_dir) {
  if (const char* c = std::getenv("CMBENCH_COMMIT"); c && *c) return c;
  std::ifstream head(source_dir + "/.git/HEAD");
  std::string line;
  if (!std::getline(head, line)) return "unknown";
  if (line.rfind("ref: ", 0) != 0) return line.substr(0, 12);
  std::string ref = line.substr(5);
  std::ifstream loose(source_dir + "/.git/" + ref);
  if (std::string sha; std::getline(loose, sha)) return sha.substr(0, 12);
  std::ifstream packed(source_dir + "/.git/packed-refs");
  for (std::string l; std::getline(packed, l);)
    if (l.size() > 41 && l.compare(41, std::string::npos, ref) == 0) return l.substr(0, 12);
  return "unknown";
}

// Where the cells may run: the CPUs of this process's affinity mask, inherited by every
// thread and child it starts.
std::string placement() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return "unknown";
  int online = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  std::string cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus += (cpus.empty() ? "" : ",") + std::to_string(c);
  if (CPU_COUNT(&set) >= online)
    return "unpinned: the kernel places threads and processes on all " + std::to_string(online) +
           " CPUs";
  return "restricted by the affinity mask to CPUs " + cpus + " of " + std::to_string(online);
}

// The scratch directory and the type of the file system it is on, from the mount table:
// "/var/tmp on ext4 (/dev/vda at /)".
std::string scratch_dir() {
  const char* tmpdir = std::getenv("TMPDIR");
  const std::string dir = tmpdir && *tmpdir ? tmpdir : "/var/tmp";
  // /proc/self/mountinfo: "id parent major:minor root mount-point options ... - type source
  // ..."; the mount is the longest mount point that is a prefix of the directory.
  std::ifstream in("/proc/self/mountinfo");
  std::string best_point, best;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string id, parent, device, root, point, field;
    fields >> id >> parent >> device >> root >> point;
    while (fields >> field && field != "-") {
    }
    std::string type, source;
    fields >> type >> source;
    const bool under = dir.rfind(point, 0) == 0 &&
                       (point == "/" || dir.size() == point.size() || dir[point.size()] == '/');
    if (under && point.size() >= best_point.size()) {
      best_point = point;
      best = type + " (" + source + " at " + point + ")";
    }
  }
  return dir + " on " + (best.empty() ? "unknown" : best);
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

// The Python rows' interpreter and frameworks (workloads/python/rows.hpp), as Debian's package
// database has them: "python3.11-minimal 3.11.2-6+deb12u6, python3-twisted 22.4.0-4, ...".
// Read from /var/lib/dpkg/status rather than by starting the interpreter: a cell's process
// starts nothing of its own (see git_head).
std::string python_packages() {
  static const char* const wanted[] = {"python3.11-minimal", "python3-twisted",  "python3-tornado",
                                       "python3-gevent",     "python3-greenlet", "python3-uvloop",
                                       "python3-aiohttp",    "python3-aiofiles"};
  std::map<std::string, std::string> version;
  std::ifstream in("/var/lib/dpkg/status");
  std::string package;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Package: ", 0) == 0) package = line.substr(9);
    if (line.rfind("Version: ", 0) == 0 && !package.empty()) version[package] = line.substr(9);
  }
  std::string out;
  for (const char* p : wanted) {
    auto v = version.find(p);
    out += (out.empty() ? "" : ", ") + std::string(p) + " " +
           (v == version.end() ? std::string("missing") : v->second);
  }
  return out;
}

}  // namespace

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

std::string describe_commit() {
  std::string d = command_output("git -C '" CMBENCH_SOURCE_DIR
                                 "' describe --always --dirty --abbrev=12 2>/dev/null");
  return d.empty() ? git_head(CMBENCH_SOURCE_DIR) : d;
}

Environment environment() {
  utsname u{};
  uname(&u);
  return {
      {"cmbench_commit", git_head(CMBENCH_SOURCE_DIR)},
      {"cmbench_build_type", CMBENCH_BUILD_TYPE},
      {"cmbench_flags", CMBENCH_BUILD_FLAGS},
      {"cmbench_compiler", "g++ " __VERSION__},
      {"cmbench_cpu_model", cpu_model()},
      {"cmbench_cores", std::to_string(std::thread::hardware_concurrency())},
      {"cmbench_kernel", std::string(u.sysname) + " " + u.release + " " + u.machine},
      {"cmbench_libraries",
       fmt::format("Boost {}.{}; oneTBB {}; Google Benchmark {}; fmt {}.{}.{}",
                   BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000, TBB_VERSION_STRING,
                   CMBENCH_BENCHMARK_VERSION, FMT_VERSION / 10000, FMT_VERSION / 100 % 100,
                   FMT_VERSION % 100)},
      {"cmbench_python", python_packages()},
      {"cmbench_timer_slack_ns", std::to_string(timer_slack())},
      // Where workloads that write files put them (file_pipeline: $TMPDIR, else /var/tmp).
      {"cmbench_scratch_dir", scratch_dir()},
      {"cmbench_placement", placement()},
      {"cmbench_load_average", load_average()},
      {"cmbench_malloc", freed_memory_kept() ? "freed memory kept for reuse (glibc trim threshold "
                                               "1 GiB, mmap threshold 64 MiB)"
                                             : "glibc defaults"},
  };
}

}  // namespace cmbench
