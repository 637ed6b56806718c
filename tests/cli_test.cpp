// The command line: bad input gets exit status 2 and a message listing the valid names;
// listing and a direct run work.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run_command.hpp"

using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

using test_support::Output;

// `env`: assignments for the command's environment, "NAME=value ...".
Output cmbench(const std::string& args, const std::string& env = "") {
  return test_support::run_command(env.empty() ? CMBENCH_EXE : env + " " + CMBENCH_EXE, args);
}

}  // namespace

// Wrong command lines, one or more per subcommand: unknown names, malformed numbers and
// durations, negative, zero and huge values, empty strings, missing arguments. Each exits
// with status 2 and a message that names what was wrong or what is valid; none runs a cell
// or writes a run (`--plan` and `--out` into a fresh directory show it).
TEST(CommandLine, EveryWrongCommandLineExitsWithStatusTwoAndSaysWhy) {
  const auto out = fs::path(testing::TempDir()) / "cmbench-wrong-command-lines";
  fs::remove_all(out);
  const std::string o = " --out " + out.string();
  struct Case {
    std::string args, says;
  };
  const std::vector<Case> corpus = {
      {"", "valid commands: list, run, trace, suite"},
      {"nosuchcommand", "valid commands: list, run, trace, suite"},
      {"list -w nosuch", "valid: sleep_fanout"},
      {"list --profile medium", "valid: quick, full, exhaustive"},
      {"list -m nosuch", "valid: sequential"},
      {"run -m nosuch", "valid: sequential"},
      {"run --cell nosuch/threads", "unknown workload 'nosuch'"},
      {"run --cell sleep_fanout", "expected <workload>/<model>"},
      {"run --cell sleep_fanout/nosuch", "valid: sequential"},
      {"run --cell sleep_fanout/threads/N:-1", "expected a whole number"},
      {"run --cell sleep_fanout/threads/N:abc", "expected a whole number"},
      {"run --cell sleep_fanout/threads/N:99999999999999999999", "expected a whole number"},
      {"run --cell sleep_fanout/threads/N:1000000000000", "must be in [1,"},
      {"run --cell sleep_fanout/threads/d:10parsecs", "expected a duration"},
      {"run --cell sleep_fanout/threads/d:", "expected a duration"},
      {"run --cell sleep_fanout/threads/Q:3", "unknown parameter 'Q'; valid: N"},
      {"run --param N", "expected name=value"},
      {"run --param N=0 -w sleep_fanout -m threads", "must be in [1,"},
      {"run --cell sleep_fanout/threads/N:3 --benchmark_filter=nothing_matches",
       "no benchmark ran"},
      {"micro --benchmark_filter=[", "no benchmark ran"},
      {"micro --benchmark_nosuch=1", "unrecognized command-line flag: --benchmark_nosuch=1"},
      {"suite --plan --repetitions 0" + o, "--repetitions: Value 0 not in range 1 to 1000"},
      {"suite --plan --repetitions -3" + o, "--repetitions"},
      {"suite --plan --repetitions 1e9" + o, "--repetitions: Value 1e9 not in range"},
      {"suite --plan --min-time 0" + o, "--min-time: Value 0 not in range"},
      {"suite --plan --timeout -1" + o, "--timeout: Value -1 not in range"},
      {"suite --plan --cpus 3" + o, "expected 1, all or both"},
      {"suite --plan --quick --full" + o, "exclude each other"},
      {"suite --plan -w ''" + o, "unknown workload ''"},
      {"suite --plan -m ''" + o, "unknown model ''"},
      {"suite --plan --out ''", "--out: an empty path"},
      {"suite --plan --out", "--out: 1 required TEXT missing"},
      {"trace", "cells is required"},
      {"trace nosuch/threads", "unknown workload 'nosuch'"},
      {"demo nosuch", "the demos are: three_tasks"},
      {"demo --unit 0 three_tasks", "expected a duration"},
      {"demo --unit abc three_tasks", "expected a duration"},
      {"lesson -s nosuch", "the demos are: three_tasks"},
      {"serve", "--model is required"},
      {"serve -m nosuch", "no http_server named 'nosuch'"},
      {"serve -m threads --variant nope", "valid: hello, slow"},
      {"serve -m threads --seconds -1", "--seconds: Value -1 not in range"},
      {"serve -m threads --workers 0", "--workers: Value 0 not in range"},
      {"serve -m threads --idle-timeout 0", "--idle-timeout: Value 0 not in range"},
      {"trace-cost --rounds 0", "--rounds: Value 0 not in range 1 to 1000"},
      {"--timer-slack-ns 0 env", "--timer-slack-ns: Value 0 not in range"},
      {"--confine-to-cpu 99999 env", "--confine-to-cpu"},
      {"compare", "the following arguments are required: RUN"},
  };
  for (const auto& c : corpus) {
    auto r = cmbench(c.args);
    EXPECT_EQ(r.status, 2) << "cmbench " << c.args << "\n" << r.text;
    EXPECT_THAT(r.text, HasSubstr(c.says)) << "cmbench " << c.args;
  }
  EXPECT_FALSE(fs::exists(out)) << "a wrong command line wrote a run";
}

TEST(CommandLine, UnknownWorkloadListsTheValidOnes) {
  auto o = cmbench("list -w nosuch");
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_THAT(o.text, HasSubstr("unknown workload 'nosuch'"));
  EXPECT_THAT(o.text, HasSubstr("sleep_fanout"));
  EXPECT_THAT(o.text, HasSubstr("cpu_bound"));
}

TEST(CommandLine, UnknownModelListsTheValidOnes) {
  auto o = cmbench("run -m nosuch");
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_THAT(o.text, HasSubstr("unknown model 'nosuch'"));
  EXPECT_THAT(o.text, HasSubstr("sequential, threads, processes"));
}

TEST(CommandLine, UnknownOrMalformedParameterListsTheValidOnes) {
  auto o = cmbench("run -w sleep_fanout -p X=1");
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_THAT(o.text, HasSubstr("unknown parameter 'X'"));
  EXPECT_THAT(o.text, HasSubstr("N (number of tasks)"));
  o = cmbench("run --cell sleep_fanout/threads/N:abc");
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_THAT(o.text, HasSubstr("N=abc"));
}

TEST(CommandLine, UnknownOptionOrProfileIsBadInput) {
  EXPECT_EQ(cmbench("suite --frobnicate").status, 2);
  EXPECT_EQ(cmbench("list --profile huge").status, 2);
  EXPECT_EQ(cmbench("").status, 2);
}

TEST(CommandLine, BadCpuBudgetsAreBadInput) {
  auto o = cmbench("suite --cpus 3 --no-report");
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_THAT(o.text, HasSubstr("--cpus 3: expected 1, all or both"));
  o = cmbench("--confine-to-cpu 1023 env");
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_THAT(o.text, HasSubstr("--confine-to-cpu 1023: this process may run on CPUs"));
  EXPECT_EQ(cmbench("--confine-to-cpu -1 env").status, 2);
  cpu_set_t allowed;
  ASSERT_EQ(sched_getaffinity(0, sizeof allowed, &allowed), 0);
  int first = 0;
  while (!CPU_ISSET(first, &allowed)) ++first;
  o = cmbench("--confine-to-cpu " + std::to_string(first) + " env");
  EXPECT_EQ(o.status, 0) << o.text;
}

// `cmbench compare` and `cmbench history` are scripts: their arguments, output and exit status
// are the script's.
TEST(CommandLine, ScriptCommandsHandTheirArgumentsToTheirScripts) {
  struct Case {
    const char *command, *missing, *says;
    int status;
    const char* help_says;
  };
  for (const Case& c :
       {Case{"compare", "/nonexistent-run", "/nonexistent-run", 2, "--fail-on-regression"},
        Case{"history", "/nonexistent-reports", "/nonexistent-reports/history.jsonl not found", 1,
             "reports_dir"}}) {
    auto o = cmbench(std::string(c.command) + " " + c.missing);
    EXPECT_EQ(o.status, c.status) << o.text;
    EXPECT_THAT(o.text, HasSubstr(c.says));
    o = cmbench(std::string(c.command) + " --help");
    EXPECT_EQ(o.status, 0) << o.text;
    EXPECT_THAT(o.text, HasSubstr(c.help_says));
  }
}

TEST(CommandLine, PlanListsTheCellsAndEachWorkloadsTotalWithoutRunning) {
  const auto out = fs::path(testing::TempDir()) / "cmbench-plan-only";
  fs::remove_all(out);
  auto o = cmbench("suite --plan -w cpu_bound --out " + out.string());
  EXPECT_EQ(o.status, 0) << o.text;
  EXPECT_THAT(o.text, HasSubstr("cpu_bound/threads/K:8/width:3000 on 1 CPU"));
  EXPECT_THAT(o.text, HasSubstr("workload"));
  EXPECT_THAT(o.text, HasSubstr("quick profile:"));
  EXPECT_FALSE(fs::exists(out)) << "--plan runs nothing and writes nothing";
}

// A cell whose warm-up run fails and whose later runs pass is a failed cell, with the
// warm-up's reason, in every repetition: never a crash in Google Benchmark's statistics
// (repetitions that counted different iterations abort it) that would lose the reason.
TEST(CommandLine, ACellThatFailsOnlyItsWarmUpFailsWithTheReason) {
  auto o = cmbench(
      "run --cell selftest/sequential/outcome:first_fails --benchmark_repetitions=3 "
      "--benchmark_min_time=0.001",
      "CMBENCH_SELFTEST=1");
  EXPECT_EQ(o.status, 1) << o.text;
  EXPECT_THAT(o.text, HasSubstr("expected 42, got 41"));
  EXPECT_THAT(o.text, ::testing::Not(HasSubstr("ComputeStats")));
}

TEST(CommandLine, ListShowsEveryCellWithItsLimit) {
  auto o = cmbench("list --profile exhaustive");
  EXPECT_EQ(o.status, 0) << o.text.substr(0, 2000);
  EXPECT_THAT(o.text, HasSubstr("sleep_fanout/processes/N:10000/d:1ms/w:1"));
  EXPECT_THAT(o.text, HasSubstr("BEYOND MODEL LIMIT"));
  EXPECT_THAT(o.text, HasSubstr("cpu_bound/threads/K:8/width:3000"));
}

TEST(CommandLine, RunsOneCellDirectly) {
  // Waits of 200 ms: three threads must overlap even when starting one takes tens of ms (a
  // loaded machine once started them 20 ms apart).
  auto o = cmbench("run --cell sleep_fanout/threads/N:3/d:200ms --benchmark_min_time=0.01");
  EXPECT_EQ(o.status, 0) << o.text;
  EXPECT_THAT(o.text, HasSubstr("sleep_fanout/threads/N:3/d:200ms/w:1/real_time"));
  EXPECT_THAT(o.text, HasSubstr("peak_in_flight"));
}

// Limits lowered as a user's shell or an administrator would (prlimit; the processes limit
// for an ordinary user, as root is exempt from it): each cell fails as beyond its model's
// limit at its scale, with the limits in force and the system's own words, and exits 1.
TEST(CommandLine, ACellPastASystemLimitSaysBeyondModelLimitWithTheSystemsError) {
  const std::string run = " run --benchmark_repetitions=1 --benchmark_min_time=0.01 --cell ";
  const std::string exe = CMBENCH_EXE;
  const std::string as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
  // A copy that user may run wherever the build tree lies (a home directory, say).
  const fs::path copy = fs::path(testing::TempDir()) / "cmbench-for-nobody";
  fs::copy_file(exe, copy, fs::copy_options::overwrite_existing);
  fs::permissions(copy, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  // Waits of 2 s keep every task alive at once: with short ones, tasks end before the last
  // start where starting is slow (ThreadSanitizer), and the limit is never reached.
  struct Case {
    std::string command, says;
  };
  std::vector<Case> cases = {
      {"prlimit --nofile=256 -- " + exe + run + "http_server/callbacks/C:1000",
       "beyond model limit at C=1000 here (open files 256"},
      {as_nobody + "prlimit --nproc=100 -- " + copy.string() + run +
           "sleep_fanout/processes/N:1000/d:2s",
       "processes 100, address space unlimited): exception: fork: Resource temporarily "
       "unavailable"},
      {as_nobody + "prlimit --nproc=100 -- " + copy.string() + run +
           "sleep_fanout/threads/N:1000/d:2s",
       "beyond model limit at N=1000 here (open files"},
  };
#if !defined(__SANITIZE_ADDRESS__)
  // A client out of descriptors. The ASan build is ASan + UBSan, whose vptr check probes
  // memory through a pipe and kills a process that has no descriptor left (accept_pause_test).
  // The event-driven clients open every connection in the loop's first turn; a thread per URL
  // may finish fetches before the last threads start (under ASan it did).
  cases.push_back({"prlimit --nofile=256 -- " + exe + run + "http_fetch/callbacks/N:1000/d:10ms",
                   "beyond model limit at N=1000 here (open files 256"});
  cases.push_back({"prlimit --nofile=256 -- " + exe + run + "http_fetch/coroutines/N:1000/d:10ms",
                   "Too many open files"});
#endif
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // The sanitizers reserve terabytes of address space: a cap on it is for the plain build.
  cases.push_back(
      {"prlimit --as=2000000000 -- " + exe + run + "sleep_fanout/threads/N:10000/d:10ms",
       "beyond model limit at N=10000 here (open files"});
  // 10^6 tasks in 476 MiB. The coroutines' timer wheel used to end in std::terminate (a
  // noexcept push_back threw std::bad_alloc), and the fibers' hub looped for ever on a
  // greenlet whose stack could not be mapped.
  cases.push_back(
      {"prlimit --as=500000000 -- " + exe + run + "sleep_fanout/coroutines/N:1000000/d:10ms",
       "address space 476 MiB): exception: std::bad_alloc"});
  cases.push_back(
      {"prlimit --as=500000000 -- " + exe + run + "sleep_fanout/fibers/N:1000000/d:10ms",
       "address space 476 MiB): exception: fibers: mapping a stack slab"});
#endif
  for (const auto& c : cases) {
    auto o = test_support::run_command("", c.command);
    EXPECT_EQ(o.status, 1) << c.command << "\n" << o.text;
    EXPECT_THAT(o.text, HasSubstr(c.says)) << c.command;
  }
  fs::remove(copy);
}

// A full disk: a first suite fills a small tmpfs of its own mount namespace with a run, the
// rest of the disk is filled, and a second suite must fail saying why, remove what it had
// begun, and leave the first run and `latest` as they were. The mount vanishes with the
// namespace. (Root, or an unprivileged user namespace, is needed for the mount: the test
// fails, rather than skips, without one.)
TEST(CommandLine, AFullDiskFailsTheRunAndKeepsTheEarlierOnes) {
  const fs::path dir = fs::path(testing::TempDir()) / "cmbench-full-disk";
  fs::remove_all(dir);
  fs::create_directories(dir / "mnt");
  const fs::path script = dir / "full.sh", second_log = dir / "second.log";
  std::ofstream(script) << R"sh(set -u
mnt=$1 exe=$2 log=$3
mount -t tmpfs -o size=4m tmpfs "$mnt" || { echo "no mount"; exit 1; }
suite="$exe suite -w cpu_bound -m sequential --cpus all --repetitions 1 --min-time 0.001 --no-micro --no-timelines --out $mnt"
$suite >/dev/null 2>&1; echo "first exit $?"
before=$(readlink "$mnt/latest")
dd if=/dev/zero of="$mnt/filler" bs=64k 2>/dev/null
$suite >"$log" 2>&1; echo "second exit $?"
[ "$(readlink "$mnt/latest")" = "$before" ] && echo "latest kept"
/usr/bin/python3 -c "import json, sys; json.load(open(sys.argv[1]))" "$mnt/latest/results.json" && echo "first run whole"
echo "left: $(ls -A "$mnt" | tr '\n' ' ')"
)sh";
  auto o = test_support::run_command("unshare", "--mount --propagation private /bin/sh " +
                                                    script.string() + " " + (dir / "mnt").string() +
                                                    " " + CMBENCH_EXE + " " + second_log.string());
  ASSERT_THAT(o.text, HasSubstr("first exit 0")) << o.text;
  EXPECT_THAT(o.text, HasSubstr("second exit 1")) << o.text;
  EXPECT_THAT(o.text, HasSubstr("latest kept")) << o.text;
  EXPECT_THAT(o.text, HasSubstr("first run whole")) << o.text;
  EXPECT_THAT(o.text, ::testing::Not(HasSubstr(".partial"))) << o.text;
  std::ifstream in(second_log);
  const std::string said((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(said, HasSubstr("No space left on device")) << said;
  EXPECT_THAT(said, HasSubstr("this run was not kept")) << said;
  EXPECT_THAT(said, HasSubstr("(its disk is full)")) << said;
  fs::remove_all(dir);
}

// Three suites started at once into one folder (three terminals, a script in a loop): they
// take the same stamp unless a second turns between them. Each keeps its own partial
// directory and publishes its own whole run; none removes or replaces another's, and
// `latest` ends a whole link to one of them.
TEST(CommandLine, SuitesStartedAtOnceIntoOneFolderKeepEveryRun) {
  const fs::path out = fs::path(testing::TempDir()) / "cmbench-suites-at-once";
  fs::remove_all(out);
  const std::string suite = std::string(CMBENCH_EXE) +
                            " suite -w cpu_bound -m sequential --cpus all --repetitions 1 "
                            "--min-time 0.001 --no-micro --no-timelines --no-report --out " +
                            out.string() + " >/dev/null 2>&1";
  const std::string script = "'" + suite + " & a=$!; " + suite + " & b=$!; " + suite +
                             " & c=$!; wait $a; x=$?; wait $b; y=$?; wait $c; echo exits $x $? $y'";
  auto o = test_support::run_command("sh -c", script);
  EXPECT_THAT(o.text, HasSubstr("exits 0 0 0")) << o.text;
  std::vector<std::string> runs;
  for (const auto& e : fs::directory_iterator(out)) {
    const std::string name = e.path().filename().string();
    EXPECT_FALSE(name.starts_with(".")) << name << " was left behind";
    if (name == "latest" || name == "history.jsonl") continue;
    runs.push_back(name);
    std::ifstream in(e.path() / "results.json");
    const auto j = nlohmann::json::parse(in, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << name << "/results.json";
    ASSERT_EQ(j["cmbench"]["cells"].size(), 2u) << name;
    for (const auto& row : j["cmbench"]["cells"]) EXPECT_EQ(row["status"], "ok") << name;
  }
  EXPECT_EQ(runs.size(), 3u);
  ASSERT_TRUE(fs::is_symlink(out / "latest"));
  EXPECT_TRUE(fs::exists(out / "latest" / "results.json"));
  fs::remove_all(out);
}

TEST(CommandLine, AnInterruptedSuiteLeavesNoPartialRun) {
  fs::path out = fs::temp_directory_path() / ("cmbench-interrupt-" + std::to_string(getpid()));
  fs::remove_all(out);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setenv("CMBENCH_SELFTEST", "1", 1);
    execl(CMBENCH_EXE, CMBENCH_EXE, "suite", "-w", "selftest", "-m", "sequential", "--timeout",
          "60", "--no-report", "--out", out.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // The hang cell keeps the suite busy; interrupt it once its partial directory exists.
  for (int i = 0; i < 200 && !fs::exists(out); ++i) usleep(50'000);
  usleep(1'500'000);
  kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  ASSERT_TRUE(fs::exists(out));
  EXPECT_TRUE(fs::is_empty(out)) << "a partial run was left in " << out;
  fs::remove_all(out);
}
