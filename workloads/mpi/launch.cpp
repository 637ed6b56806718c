#include "launch.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "cells/talking_child.hpp"

namespace cmbench::mpi {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::vector<std::int64_t> integers(const std::string& line, const std::string& what) {
  std::vector<std::int64_t> out;
  const char* at = line.data();
  const char* end = line.data() + line.size();
  while (at < end) {
    if (*at == ' ') {
      ++at;
      continue;
    }
    std::int64_t v = 0;
    auto [next, error] = std::from_chars(at, end, v);
    if (error != std::errc() || (next < end && *next != ' '))
      throw std::runtime_error(what + " is not a line of integers: '" + line + "'");
    out.push_back(v);
    at = next;
  }
  return out;
}

}  // namespace

std::string mpirun_path() {
  if (const char* set = std::getenv("CMBENCH_MPIRUN"); set && *set) {
    if (::access(set, X_OK) != 0)
      throw std::runtime_error(std::string("CMBENCH_MPIRUN=") + set +
                               " is not an executable program (Open MPI's mpirun is wanted)");
    return set;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  for (std::size_t at = 0; at <= dirs.size();) {
    auto colon = dirs.find(':', at);
    if (colon == std::string::npos) colon = dirs.size();
    const fs::path candidate = fs::path(dirs.substr(at, colon - at)) / "mpirun";
    if (colon > at && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    at = colon + 1;
  }
  throw std::runtime_error(
      "mpirun is not on PATH: the processes-mpi rows need Open MPI (scripts/setup installs "
      "openmpi-bin and libopenmpi-dev), or CMBENCH_MPIRUN naming its mpirun");
}

int ranks_wanted() {
  const char* set = std::getenv("CMBENCH_MPI_RANKS");
  if (!set || !*set) return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int n = 0;
  const std::string text = set;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (error != std::errc() || end != text.data() + text.size() || n < 1 || n > 4096)
    throw BadInput("CMBENCH_MPI_RANKS=" + text + ": a number of ranks from 1 to 4096 is wanted");
  return n;
}

void add_row(Catalog& catalog, const std::string& workload, Prepare prepare,
             const ModelInfo& limits, bool (*quick)(const ParamValues&)) {
  auto runs_at = [quick](Profile p, const ParamValues& v) {
    return p == Profile::exhaustive || quick(v);
  };
  catalog.add_cell(workload, std::string(limits.name), std::move(prepare), "mpi", nullptr, &limits,
                   runs_at);
}

std::vector<std::string> command(const Ranks& ranks, const std::string& workload) {
  std::vector<std::string> argv = {"/usr/bin/env"};
  if (::geteuid() == 0) {  // mpirun refuses root unless told twice
    argv.push_back("OMPI_ALLOW_RUN_AS_ROOT=1");
    argv.push_back("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1");
  }
  argv.push_back(mpirun_path());
  argv.insert(argv.end(), {"--oversubscribe", "--bind-to", "none"});
  if (ranks.yield_when_idle) argv.insert(argv.end(), {"--mca", "mpi_yield_when_idle", "1"});
  argv.insert(argv.end(), {"-np", std::to_string(ranks.count)});
  if (const char* hosts = std::getenv("CMBENCH_MPI_HOSTFILE"); hosts && *hosts) {
    if (!fs::exists(hosts))
      throw std::runtime_error(std::string("CMBENCH_MPI_HOSTFILE=") + hosts + ": no such file");
    argv.insert(argv.end(), {"--hostfile", hosts});
  }
  argv.insert(argv.end(), {CMBENCH_MPI_EXE, workload});
  return argv;
}

std::int64_t Output::at(std::size_t l, std::size_t i) const {
  const std::string where = "result line " + std::to_string(l + 1);
  if (l >= lines.size()) throw std::runtime_error(where + " is missing");
  if (i >= lines[l].size())
    throw std::runtime_error(where + " has no field " + std::to_string(i + 1));
  return lines[l][i];
}

// mpirun, talked to a line at a time, and how long its launch took.
struct Job::State {
  std::optional<TalkingChild> mpirun;
  double launch_ms = 0;

  std::string line(std::chrono::steady_clock::time_point deadline, const std::string& waiting) {
    return mpirun->line(deadline, waiting);
  }
};

Job::Job(const Ranks& ranks, const std::string& workload, const std::vector<std::int64_t>& args)
    : s_(std::make_unique<State>()) {
  const std::vector<std::string> argv = command(ranks, workload);
  const auto start = std::chrono::steady_clock::now();
  // A group of its own: mpirun and the ranks it forks are ended together if need be.
  s_->mpirun.emplace(argv, "the MPI job", true);
  std::string line;
  for (auto v : args) line += std::to_string(v) + ' ';
  s_->mpirun->child().write_stdin(line + "\n");
  const std::string said = s_->line(start + 60s, "at start");
  if (said != "ready")
    throw std::runtime_error("the MPI job said '" + said + "' at start:\n" +
                             s_->mpirun->stderr_text());
  s_->launch_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

Job::~Job() {
  if (!s_ || !s_->mpirun || s_->mpirun->child().reaped()) return;
  Child& mpirun = s_->mpirun->child();
  // A job that waits for "go" reads the end of its stdin instead and ends cleanly; one that
  // does not is told to end: mpirun ends its ranks and daemons, then itself.
  mpirun.close_stdin();
  if (mpirun.wait_for(2000ms)) return;
  mpirun.signal(SIGTERM);
  mpirun.wait_or_kill(5000ms);
}

double Job::launch_ms() const {
  return s_->launch_ms;
}

void Job::run() {
  s_->mpirun->child().write_stdin("go\n");
  const std::string said = s_->line(std::chrono::steady_clock::now() + 24h, "during its run");
  if (said.starts_with("error ")) throw std::runtime_error(said.substr(6));
  if (said != "done")
    throw std::runtime_error("the MPI job said '" + said + "' for done:\n" +
                             s_->mpirun->stderr_text());
}

Output Job::output() {
  Output out;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  for (;;) {
    const std::string said = s_->line(deadline, "before its whole result");
    if (said.starts_with("end ")) {
      auto f = integers(said.substr(4), "the end line");
      if (f.size() != 2) throw std::runtime_error("the MPI job ended with '" + said + "'");
      out.cpu_ns = f[0];
      out.wall_ns = f[1];
      break;
    }
    out.lines.push_back(integers(said, "a result line"));
  }
  Child& mpirun = s_->mpirun->child();
  mpirun.close_stdin();
  if (auto status = mpirun.wait_for(30'000ms); !status || *status != 0)
    throw std::runtime_error("mpirun " + (status ? describe_status(*status) : "did not exit") +
                             ":\n" + s_->mpirun->stderr_text());
  return out;
}

}  // namespace cmbench::mpi
