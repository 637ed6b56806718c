// The processes-mpi rows (workloads/mpi/launch.hpp): each workload's ranks give the verified
// answer at a small scale through the catalog, report their launch apart from the run, a
// wrong or failed result fails the cell, a missing mpirun is a set-up error said plainly,
// and no mpirun nor rank is left behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>

#include "run_command.hpp"
#include "workloads/catalog.hpp"
#include "workloads/cpu_bound/spec.hpp"
#include "workloads/mpi/launch.hpp"
#include "workloads/ping_pong/spec.hpp"

namespace cmbench {
namespace {

using testing::HasSubstr;
using namespace std::chrono_literals;

// This test process's mark, in the environment every rank it starts inherits (through
// mpirun, or a cmbench it runs): the ranks of tests running beside it in other processes
// are theirs, not its own.
const std::string owner_mark = [] {
  const std::string value = std::to_string(::getpid());
  ::setenv("CMBENCH_MPI_TEST_OWNER", value.c_str(), 1);
  return "CMBENCH_MPI_TEST_OWNER=" + value + std::string(1, '\0');
}();

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Processes running this build's cmbench-mpi started from this test process, whoever their
// parent now (a rank orphaned by a killed mpirun belongs to init).
int ranks_alive() {
  int alive = 0;
  DIR* proc = ::opendir("/proc");
  while (dirent* e = proc ? ::readdir(proc) : nullptr) {
    const std::string dir = std::string("/proc/") + e->d_name;
    if (!read_all(dir + "/cmdline").starts_with(CMBENCH_MPI_EXE + std::string(1, '\0'))) continue;
    const std::string environment = std::string(1, '\0') + read_all(dir + "/environ");
    alive += environment.find(std::string(1, '\0') + owner_mark) != std::string::npos;
  }
  if (proc) ::closedir(proc);
  return alive;
}

// No rank left once its job is over (a rank that is exiting may take a moment to go).
void expect_no_ranks_left() {
  for (int i = 0; i < 50 && ranks_alive() > 0; ++i) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(ranks_alive(), 0);
}

double metric(const Verdict& v, const std::string& name) {
  for (const auto& [n, value] : v.metrics)
    if (n == name) return value;
  ADD_FAILURE() << "no metric " << name;
  return 0;
}

// Runs the row `workload/processes-mpi` at `values` twice (a fresh job each time).
void expect_verified(const std::string& workload, const ParamValues& values) {
  const CellImpl& impl = catalog().impl(workload, "processes-mpi");
  Cell cell{&impl, values};
  ASSERT_FALSE(cell.beyond_limit()) << cell.name();
  Run run = impl.prepare(values);
  for (int i = 0; i < 2; ++i) {
    Verdict v = run()();
    EXPECT_TRUE(v.ok) << cell.name() << ": " << v.why;
    EXPECT_GT(metric(v, "launch_ms"), 0) << cell.name();
    EXPECT_GT(metric(v, "cpu_util"), 0) << cell.name();
  }
  run = nullptr;  // the next run's job, started in the last check, is ended
  expect_no_ranks_left();
}

// An environment variable set for one test, put back afterwards.
class Env {
 public:
  Env(const char* name, const char* value) : name_(name) {
    if (const char* was = std::getenv(name)) before_ = was;
    ::setenv(name, value, 1);
  }
  ~Env() {
    if (before_) {
      ::setenv(name_, before_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> before_;
};

std::string setup_error(const std::string& workload, const ParamValues& values) {
  try {
    catalog().impl(workload, "processes-mpi").prepare(values);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

const ParamValues two_chunks = ParamValues({{"K", "2"}, {"width", "300"}});

TEST(MpiRows, CpuBoundRanksGiveTheVerifiedCounts) {
  expect_verified("cpu_bound", two_chunks);
  expect_verified("cpu_bound", ParamValues({{"K", "5"}, {"width", "200"}}));  // uneven deal
}

TEST(MpiRows, CpuBoundOnMoreRanksThanCores) {
  Env three("CMBENCH_MPI_RANKS", "3");  // oversubscribed on 2 cores
  expect_verified("cpu_bound", ParamValues({{"K", "7"}, {"width", "200"}}));
}

TEST(MpiRows, PingPongRanksPassTheToken) {
  expect_verified("ping_pong", ParamValues({{"R", "100"}, {"place", "same"}}));
  if (ping_pong::allowed_cpus().size() >= 2)
    expect_verified("ping_pong", ParamValues({{"R", "100"}, {"place", "split"}}));
}

TEST(MpiRows, SpawnManySpawnsFlatAndSkynet) {
  expect_verified("spawn_many", ParamValues({{"shape", "flat"}, {"N", "4"}}));
  expect_verified("spawn_many", ParamValues({{"shape", "skynet"}, {"N", "10"}}));
}

TEST(MpiRows, SpawnManyPastItsLimitIsListedSo) {
  const CellImpl& impl = catalog().impl("spawn_many", "processes-mpi");
  const Cell flat{&impl, ParamValues({{"shape", "flat"}, {"N", "100"}})};
  EXPECT_TRUE(flat.beyond_limit());
  EXPECT_THAT(flat.limit_note(), HasSubstr("beyond model limit"));
  EXPECT_FALSE((Cell{&impl, ParamValues({{"shape", "flat"}, {"N", "16"}})}.beyond_limit()));
}

// The ranks' answer goes through the workload's verifier: a result missing a chunk fails.
TEST(MpiRows, AWrongResultFailsTheCell) {
  auto drop_last = [](const mpi::Output& out) {
    cpu_bound::Result r;
    for (std::size_t i = 0; i + 1 < out.lines.size(); ++i)
      r.push_back({static_cast<std::uint64_t>(out.at(i, 0)), {out.at(i, 1), out.at(i, 2)}});
    return r;
  };
  Prepare prepare = mpi::prepared_job<cpu_bound::Params, cpu_bound::Result>(
      "cpu_bound", cpu_bound::make_params, [](const cpu_bound::Params&) { return mpi::Ranks{2}; },
      [](const cpu_bound::Params& p) {
        std::vector<std::int64_t> bounds;
        for (const auto& c : p.chunks)
          bounds.insert(bounds.end(), {std::int64_t(c.lo), std::int64_t(c.hi)});
        return bounds;
      },
      +drop_last, cpu_bound::verify, mpi::info);
  Verdict v = prepare(two_chunks)()();
  EXPECT_FALSE(v.ok);
  EXPECT_THAT(v.why, HasSubstr("only 1 of 2 chunks completed"));
  expect_no_ranks_left();
}

// A rank that fails aborts the job: the run fails with the rank's message, and mpirun ends
// every rank.
TEST(MpiRows, AFailingRankFailsTheRunWithItsMessage) {
  auto read = [](const mpi::Output&) { return ping_pong::Result{}; };
  Prepare prepare = mpi::prepared_job<ping_pong::Params, ping_pong::Result>(
      "ping_pong", ping_pong::make_params, [](const ping_pong::Params&) { return mpi::Ranks{3}; },
      [](const ping_pong::Params& p) {
        return std::vector<std::int64_t>{p.rounds, 0, 0};
      },
      +read, ping_pong::verify, mpi::info);
  try {
    prepare(ParamValues({{"R", "10"}, {"place", "same"}}))()();
    ADD_FAILURE() << "a job whose ranks failed ran";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(), HasSubstr("ping_pong needs 2 ranks"));
  }
  expect_no_ranks_left();
}

TEST(MpiRows, AMissingMpirunIsASetupErrorSaidPlainly) {
  {
    Env path("PATH", "/nonexistent");
    ::unsetenv("CMBENCH_MPIRUN");
    EXPECT_THAT(setup_error("cpu_bound", two_chunks), HasSubstr("mpirun is not on PATH"));
  }
  Env mpirun("CMBENCH_MPIRUN", "/nonexistent/mpirun");
  EXPECT_THAT(setup_error("cpu_bound", two_chunks),
              HasSubstr("CMBENCH_MPIRUN=/nonexistent/mpirun is not an executable program"));
}

TEST(MpiRows, BadSettingsAreSaidPlainly) {
  {
    Env hosts("CMBENCH_MPI_HOSTFILE", "/nonexistent/hosts");
    EXPECT_THAT(setup_error("cpu_bound", two_chunks),
                HasSubstr("/nonexistent/hosts: no such file"));
  }
  Env ranks("CMBENCH_MPI_RANKS", "two");
  EXPECT_THAT(setup_error("cpu_bound", two_chunks), HasSubstr("CMBENCH_MPI_RANKS=two"));
}

// As a user meets it: the cell fails, with the reason, and cmbench exits with an error.
TEST(MpiRows, TheSuiteFailsACellWithoutMpirun) {
  const auto out =
      test_support::run_command("CMBENCH_MPIRUN=/nonexistent/mpirun " + std::string(CMBENCH_EXE),
                                "run --cell cpu_bound/processes-mpi/K:2/width:300");
  EXPECT_NE(out.status, 0) << out.text;
  EXPECT_THAT(out.text, HasSubstr("is not an executable program"));
}

TEST(MpiRows, TheCommandLineIsTheDocumentedOne) {
  const auto argv = mpi::command({2}, "cpu_bound");
  std::string line;
  for (const auto& a : argv) line += a + ' ';
  EXPECT_THAT(line, HasSubstr("mpirun --oversubscribe --bind-to none -np 2 "));
  EXPECT_THAT(line, HasSubstr(std::string(CMBENCH_MPI_EXE) + " cpu_bound"));
  if (::geteuid() == 0) {
    EXPECT_THAT(line, HasSubstr("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"));
  }
  Env hosts("CMBENCH_MPI_HOSTFILE", "/etc/hostname");  // any file: mpirun is not started
  std::string with;
  for (const auto& a : mpi::command({2, true}, "ping_pong")) with += a + ' ';
  EXPECT_THAT(with, HasSubstr("--bind-to none --mca mpi_yield_when_idle 1 -np 2 --hostfile "
                              "/etc/hostname "));
}

}  // namespace
}  // namespace cmbench
