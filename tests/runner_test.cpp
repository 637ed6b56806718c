// The suite runner records every kind of outcome (ok, failed verification, exception,
// crash, hang, beyond model limit) with its reason, writes a complete run directory, and
// leaves no partial directory and no child process behind. Uses the selftest cells.
// The report of a workload with its own metrics is checked on tests/data/results_sample.json.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "catalog.hpp"
#include "harness/suite.hpp"
#include "harness/suite_child.hpp"
#include "tests/selftest/selftest.hpp"

using namespace cmbench;
namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace {

fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("cmbench-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// Runs scripts/report.py on the results.json in `dir` and returns the section of report.md
// headed "## <workload>" (up to the next section); "" if the report failed.
std::string report_section(const fs::path& dir, const std::string& workload) {
  std::string cmd = "/usr/bin/python3 " +
                    (fs::path(CMBENCH_SOURCE_DIR) / "scripts" / "report.py").string() + " " +
                    dir.string() + " --quiet --no-history";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(dir / "report.md");
  std::string md((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto start = md.find("## " + workload);
  if (start == std::string::npos) return "";
  auto section = md.substr(start);
  return section.substr(0, section.find("\n## "));
}

// A suite run of the cmbench binary built with the tests, into a fresh `out`: no progress
// line, no micro-benchmarks, no timelines, 2 short repetitions.
SuiteOptions small_run(const std::string& out) {
  SuiteOptions o;
  o.out = fresh_dir(out);
  o.repetitions = 2;
  o.min_time_s = 0.01;
  o.executable = CMBENCH_EXE;
  o.progress = false;
  o.micro = false;
  o.timelines = false;
  return o;
}

}  // namespace

TEST(SuiteRunner, RecordsEveryOutcomeAndWritesACompleteReport) {
  setenv("CMBENCH_SELFTEST", "1", 1);  // the cells' processes register the selftest workload
  Catalog c = build_catalog();
  selftest::register_cells(c);
  SuiteOptions o;
  o.workloads = {"selftest"};
  o.out = fresh_dir("runner");
  o.repetitions = 2;
  o.min_time_s = 0.01;
  o.timeout_s = 3;
  o.executable = CMBENCH_EXE;
  o.report_script = fs::path(CMBENCH_SOURCE_DIR) / "scripts" / "report.py";
  o.progress = false;
  o.micro = false;

  SuiteOutcome r = run_suite(c, o);

  EXPECT_FALSE(r.interrupted);
  EXPECT_EQ(r.ok, 2);            // ok ×2 models
  EXPECT_EQ(r.failed, 18);       // wrong answer, exception, five leaks, two pool faults, ×2 models
  EXPECT_EQ(r.crashed, 4);       // abort() and a segfaulting greenlet, ×2
  EXPECT_EQ(r.timeout, 2);       // hang ×2, killed at the time limit
  EXPECT_EQ(r.beyond_limit, 2);  // 10^6 tasks: beyond both models' limits
  EXPECT_FALSE(r.report_failed);

  ASSERT_TRUE(fs::exists(r.run_dir / "results.json"));
  EXPECT_TRUE(fs::exists(r.run_dir / "report.html"));
  EXPECT_TRUE(fs::exists(r.run_dir / "report.md"));
  EXPECT_TRUE(fs::exists(r.run_dir / "results.csv"));
  EXPECT_TRUE(fs::is_symlink(o.out / "latest"));
  EXPECT_EQ(fs::canonical(o.out / "latest"), fs::canonical(r.run_dir));
  for (const auto& e : fs::directory_iterator(o.out))
    EXPECT_THAT(e.path().filename().string(), ::testing::Not(HasSubstr("partial")));

  std::ifstream in(r.run_dir / "results.json");
  auto j = nlohmann::json::parse(in);
  std::map<std::string, nlohmann::json> cells;
  for (const auto& row : j["cmbench"]["cells"]) cells[row["name"]] = row;
  ASSERT_EQ(cells.size(), 28u);
  auto cell = [&](const std::string& model, const std::string& outcome, const char* tasks = "1") {
    return cells.at("selftest/" + model + "/outcome:" + outcome + "/tasks:" + tasks);
  };
  EXPECT_EQ(cell("sequential", "ok")["status"], "ok");
  EXPECT_EQ(cell("sequential", "fail")["status"], "failed");
  EXPECT_THAT(cell("sequential", "fail")["reason"].get<std::string>(),
              HasSubstr("expected 42, got 41"));
  EXPECT_EQ(cell("sequential", "throw")["status"], "failed");
  EXPECT_THAT(cell("sequential", "throw")["reason"].get<std::string>(),
              HasSubstr("threw on purpose"));
  EXPECT_EQ(cell("sequential", "crash")["status"], "crashed");
  EXPECT_THAT(cell("sequential", "crash")["reason"].get<std::string>(), HasSubstr("signal 6"));
  EXPECT_EQ(cell("sequential", "hang")["status"], "timeout");
  // Each leak fails its cell and names what leaked: in the cell's process, after a round of
  // runs (descriptors, threads, children); by the runner, once the process ended (a process
  // left running, a temporary file).
  for (const auto& [outcome, named] :
       std::map<std::string, std::string>{{"leak_descriptor", "descriptors (/dev/null"},
                                          {"leak_thread", "threads (cmbench"},
                                          {"leak_child", "child processes ("},
                                          {"orphan", "1 process running (cmbench "},
                                          {"leak_file", "1 temporary file (selftest-"}}) {
    EXPECT_EQ(cell("sequential", outcome)["status"], "failed") << outcome;
    EXPECT_THAT(cell("sequential", outcome)["reason"].get<std::string>(),
                AllOf(HasSubstr("leak: "), HasSubstr(named)))
        << outcome;
  }
  // A fault inside a model's machinery fails or crashes the cell with its reason; the suite
  // goes on (every later cell ran) and no child is left (checked below).
  EXPECT_EQ(cell("sequential", "worker_killed")["status"], "failed");
  EXPECT_THAT(cell("sequential", "worker_killed")["reason"].get<std::string>(),
              HasSubstr("killed by signal 9"));
  EXPECT_EQ(cell("sequential", "pool_throws")["status"], "failed");
  EXPECT_THAT(cell("sequential", "pool_throws")["reason"].get<std::string>(),
              HasSubstr("threw on a pool thread on purpose"));
  EXPECT_EQ(cell("sequential", "task_segfaults")["status"], "crashed");
  EXPECT_THAT(cell("sequential", "task_segfaults")["reason"].get<std::string>(),
              ::testing::AnyOf(HasSubstr("signal 11"), HasSubstr("SEGV")));
  EXPECT_EQ(cell("processes", "ok", "1000000")["status"], "beyond_limit");
  EXPECT_EQ(cell("sequential", "ok", "1000000")["status"], "beyond_limit");

  // Successful cells carry Google Benchmark's repetitions and our counters.
  int repetitions = 0;
  for (const auto& b : j["benchmarks"]) {
    if (b["name"] != "selftest/sequential/outcome:ok/tasks:1/real_time") continue;
    if (b["run_type"] == "iteration") {
      ++repetitions;
      EXPECT_TRUE(b.contains("cpu_util"));
      EXPECT_TRUE(b.contains("peak_rss_kib"));
      EXPECT_TRUE(b.contains("vol_cs"));
      EXPECT_EQ(b["peak_in_flight"], 1);
    }
  }
  EXPECT_EQ(repetitions, 2);
  EXPECT_EQ(j["context"]["cmbench_build_type"].get<std::string>().empty(), false);
  EXPECT_TRUE(j["context"].contains("cmbench_commit"));

  int status = 0;
  EXPECT_EQ(waitpid(-1, &status, WNOHANG), -1) << "a child process was left behind";
  fs::remove_all(o.out);
}

// `--cpus both`: each cell runs twice, on all the CPUs and then confined to the last one,
// the two rows told apart by their budget (as are their Google Benchmark entries); a cell
// with two busy threads stays on its one CPU (CPU time ≤ wall time); every cell that ran
// carries the speed probes around it and the load as it began.
TEST(SuiteRunner, RunsEachCellOnOneCpuAndOnAll) {
  setenv("CMBENCH_SELFTEST", "1", 1);
  Catalog c = build_catalog();
  selftest::register_cells(c);
  SuiteOptions o = small_run("runner-cpus");
  o.profile = Profile::full;  // the selftest's full profile: the two-thread cell
  o.cpus = CpuChoice::both;
  o.workloads = {"selftest"};
  o.models = {"sequential"};

  SuiteOutcome r = run_suite(c, o);
  ASSERT_EQ(r.ok, 2) << "see the logs in " << r.run_dir;
  std::ifstream in(r.run_dir / "results.json");
  auto j = nlohmann::json::parse(in);
  const auto& rows = j["cmbench"]["cells"];
  ASSERT_EQ(rows.size(), 2u);
  const std::string name = "selftest/sequential/outcome:spin/tasks:1";
  EXPECT_EQ(rows[0]["name"], name);
  EXPECT_EQ(rows[1]["name"], name);
  EXPECT_EQ(rows[0]["cpu_budget"], "all");
  EXPECT_EQ(rows[1]["cpu_budget"], "one");
  EXPECT_EQ(rows[1]["cpus"], 1);
  EXPECT_GE(rows[0]["cpus"].get<int>(), 1);
  EXPECT_FALSE(rows[1]["cpu_list"].get<std::string>().empty());
  EXPECT_NE(rows[0]["log"], rows[1]["log"]);
  for (const auto& row : rows) {
    EXPECT_GT(row["probe"]["before_s"].get<double>(), 0);
    EXPECT_GT(row["probe"]["after_s"].get<double>(), 0);
    EXPECT_TRUE(row.contains("loadavg"));
    EXPECT_TRUE(row.contains("others_running"));
  }
  EXPECT_EQ(rows[0]["probe"]["after_s"], rows[1]["probe"]["before_s"]);  // one probe between
  int one = 0, all = 0;
  for (const auto& b : j["benchmarks"]) {
    if (b.value("run_type", "") != "iteration") continue;
    if (b.value("cpu_budget", "all") == "one") {
      ++one;
      EXPECT_LE(b["cpu_util"].get<double>(), 1.1) << "it left its CPU";
    } else {
      ++all;
    }
  }
  EXPECT_EQ(one, 2);
  EXPECT_EQ(all, 2);
  fs::remove_all(o.out);
}

// TBB keeps the CPU mask it finds as it loads and gives it to every worker it starts: the
// cell's process must be confined before then (cmbench restarts itself confined), or the
// threads model's cpu_bound computes on every CPU and fails as having left its one.
TEST(SuiteRunner, TbbWorkersStayOnTheOneCpu) {
  Catalog c = build_catalog();
  SuiteOptions o = small_run("runner-tbb");
  o.cpus = CpuChoice::one;
  o.workloads = {"cpu_bound"};
  o.models = {"threads"};

  SuiteOutcome r = run_suite(c, o);
  EXPECT_GE(r.ok, 2);
  EXPECT_EQ(r.failed + r.crashed + r.timeout, 0) << "see the logs in " << r.run_dir;
  std::ifstream in(r.run_dir / "results.json");
  auto j = nlohmann::json::parse(in);
  for (const auto& row : j["cmbench"]["cells"]) EXPECT_EQ(row["cpu_budget"], "one");
  fs::remove_all(o.out);
}

// The evidence that a confined cell left its CPU: more CPU time than wall time (a served
// cell's server alone: its load generator runs on another CPU).
TEST(SuiteRunner, NamesACellThatLeftItsCpu) {
  using nlohmann::json;
  EXPECT_EQ(left_its_cpu({json{{"cpu_util", 0.98}}, json{{"cpu_util", 1.05}}}), "");
  EXPECT_THAT(left_its_cpu({json{{"cpu_util", 0.9}}, json{{"cpu_util", 1.93}}}),
              HasSubstr("used 1.93 CPUs (cpu_util)"));
  EXPECT_EQ(left_its_cpu({json{{"cpu_util", 1.9}, {"server_cpu_util", 0.97}}}), "");
  EXPECT_THAT(left_its_cpu({json{{"cpu_util", 1.9}, {"server_cpu_util", 1.6}}}),
              HasSubstr("server_cpu_util"));
  EXPECT_EQ(left_its_cpu({json{{"cpu_util", nullptr}}}), "");
}

// A workload with metrics (tests/data/results_sample.json's synthetic http_server: three
// models and the epoll reference, C=10 and C=50, threads failed at C=50) is reported by its
// own figures: a table per scale, a ratio to epoll, a chart per charted metric and one of
// the latency percentiles; its wall time and a speed-up are not shown.
TEST(Report, ShowsAWorkloadsOwnMetricsBesideTheReference) {
  fs::path dir = fresh_dir("report");
  fs::copy_file(fs::path(CMBENCH_SOURCE_DIR) / "tests" / "data" / "results_sample.json",
                dir / "results.json");
  std::string section = report_section(dir, "http_server");
  EXPECT_THAT(section, HasSubstr("| model | requests per second (req/s) | min–max | × epoll | "
                                 "server CPU per request | min–max | × epoll | latency p50 |"));
  // coroutines at C=10: 42k req/s (42k, 42k) over epoll's 40k; 6.10 µs over 5.00 µs.
  EXPECT_THAT(section, HasSubstr("| coroutines | 42k | 42k | 1.05× epoll | 6.10 µs | "
                                 "6.00–6.20 µs | 1.22× epoll | 232 µs |"));
  EXPECT_THAT(section, HasSubstr("| epoll (reference) | 40k | 40k | 1.00× epoll |"));
  EXPECT_THAT(section, HasSubstr("| threads | *failed* |"));
  EXPECT_THAT(section, HasSubstr("threads at C=50: failed: 3 wrong responses"));
  EXPECT_THAT(section, ::testing::Not(HasSubstr("speed-up")));
  EXPECT_LT(section.find("| coroutines |"), section.find("| epoll (reference) |"));
  for (const char* chart : {"req_per_s", "server_cpu_us_per_req", "latency"}) {
    std::string png = std::string("charts/http_server-rate0-") + chart + ".png";
    EXPECT_TRUE(fs::exists(dir / png)) << png;
    EXPECT_THAT(section, HasSubstr("(" + png + ")"));
  }
  EXPECT_FALSE(fs::exists(dir / "charts/http_server-rate0-bars.png"));

  std::ifstream csv(dir / "results.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_THAT(header, HasSubstr(",req_per_s,server_cpu_us_per_req,p50_us,p99_us,p999_us,timeouts"));
  fs::remove_all(dir);
}

// A timed workload with figures of its own (the sample's cpu_bound, given a "chunks per
// second" metric here) keeps its wall time and speed-ups, and shows its figures beside them:
// a table per scale, a chart, and (over_scale) the figure against K on log-log axes.
TEST(Report, ShowsATimedWorkloadsMetricsBesideItsWallTime) {
  fs::path dir = fresh_dir("report-timed");
  std::ifstream sample(fs::path(CMBENCH_SOURCE_DIR) / "tests" / "data" / "results_sample.json");
  nlohmann::json doc = nlohmann::json::parse(sample);
  for (auto& w : doc["cmbench"]["workloads"])
    if (w["name"] == "cpu_bound") {
      w["timed"] = true;
      w["metrics"] = {{{"name", "chunks_per_s"},
                       {"title", "chunks per second"},
                       {"unit", "chunks/s"},
                       {"lower_is_better", false},
                       {"chart", true},
                       {"ratio_to", ""},
                       {"over_scale", true}}};
    }
  for (auto& b : doc["benchmarks"])  // one chunk per millisecond of each repetition's time
    if (b["name"].get<std::string>().starts_with("cpu_bound/") && b["run_type"] == "iteration")
      b["chunks_per_s"] = 1000.0 / b["real_time"].get<double>();
  std::ofstream(dir / "results.json") << doc.dump();
  std::string section = report_section(dir, "cpu_bound");
  EXPECT_THAT(section, HasSubstr("| threads | 21.4 ms · 0.96× | 43.1 ms · 1.84× |"));
  EXPECT_THAT(section, HasSubstr("Figures at K=4:"));
  EXPECT_THAT(section, HasSubstr("| model | chunks per second (chunks/s) | min–max |"));
  EXPECT_THAT(section, HasSubstr("| threads | 23.2 | 22.6–23.3 |"));
  for (const char* chart : {"bars", "scaling", "chunks_per_s", "chunks_per_s_by_scale"}) {
    std::string png = std::string("charts/cpu_bound-width200000-") + chart + ".png";
    EXPECT_TRUE(fs::exists(dir / png)) << png;
    EXPECT_THAT(section, HasSubstr("(" + png + ")"));
  }
  fs::remove_all(dir);
}

// A Python row (a reference of the model `py` with a `twin`) appears in its workload's
// tables and, in a section of its own, beside its twin: both medians and the ratio.
TEST(Report, SetsEachPythonRowBesideItsTwin) {
  fs::path dir = fresh_dir("report-twins");
  std::ifstream sample(fs::path(CMBENCH_SOURCE_DIR) / "tests" / "data" / "results_sample.json");
  nlohmann::json doc = nlohmann::json::parse(sample);
  doc["cmbench"]["models"].push_back({{"name", "py"}, {"reference", true}});
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& c : doc["cmbench"]["cells"])
    if (c["name"] == "cpu_bound/threads/K:4/width:200000") {
      nlohmann::json py = c;
      py["name"] = "cpu_bound/py-threading/K:4/width:200000";
      py["model"] = "py";
      py["variant"] = "threading";
      py["label"] = "py-threading";
      py["twin"] = "threads";
      rows.push_back(py);
    }
  ASSERT_EQ(rows.size(), 1u);
  doc["cmbench"]["cells"].push_back(rows[0]);
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& b : doc["benchmarks"])
    if (b["name"].get<std::string>().starts_with("cpu_bound/threads/K:4/width:200000/") &&
        b["run_type"] == "iteration") {
      nlohmann::json py = b;  // twenty times the twin's time, repetition by repetition
      py["name"] = "cpu_bound/py-threading/K:4/width:200000/real_time";
      py["run_name"] = "cpu_bound/py-threading/K:4/width:200000/real_time";
      py["real_time"] = b["real_time"].get<double>() * 20;
      entries.push_back(py);
    }
  for (auto& e : entries) doc["benchmarks"].push_back(e);
  std::ofstream(dir / "results.json") << doc.dump();
  std::string twins = report_section(dir, "The Python twins");
  EXPECT_THAT(twins, HasSubstr("What is and is not comparable"));
  EXPECT_THAT(twins, HasSubstr("| width=200000, K=4 | wall time | py-threading | 862 ms | "
                               "threads | 43.1 ms | C++ 20.0× faster |"));
  EXPECT_THAT(report_section(dir, "cpu_bound"), HasSubstr("| py-threading |"));
  fs::remove_all(dir);
}

TEST(SuiteRunner, AnEmptySelectionIsBadInput) {
  Catalog c = build_catalog();
  SuiteOptions o;
  o.workloads = {"nosuch"};
  o.out = fresh_dir("empty");
  EXPECT_THROW(run_suite(c, o), BadInput);
  fs::remove_all(o.out);
}
