// `cmbench demo` as a command: bad input is exit status 2 with the valid choices, and a run
// writes what it promises (the timelines, the stacked chart, the transcript) from what the
// demo really printed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "../run_command.hpp"

namespace fs = std::filesystem;

namespace {

test_support::Output cmbench(const std::string& args) {
  return test_support::run_command(CMBENCH_EXE, args);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(DemoCommand, BadInputIsExitStatusTwoWithTheValidChoices) {
  auto o = cmbench("demo no_such_scenario");
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_TRUE(contains(o.text, "unknown demo 'no_such_scenario'")) << o.text;
  EXPECT_TRUE(contains(o.text, "three_tasks")) << o.text;
  o = cmbench("demo three_tasks -m no_such_model");
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_TRUE(contains(o.text, "sequential, threads, processes")) << o.text;
  for (const char* unit : {"0ms", "abc", "-1s"}) {
    o = cmbench(std::string("demo three_tasks --unit ") + unit);
    EXPECT_EQ(o.status, 2) << unit << ": " << o.text;
  }
  EXPECT_EQ(cmbench("demo").status, 2);
}

TEST(DemoCommand, ListNamesEveryScenarioAndItsModels) {
  auto o = cmbench("demo --list");
  ASSERT_EQ(o.status, 0) << o.text;
  EXPECT_TRUE(contains(o.text, "three_tasks")) << o.text;
  EXPECT_TRUE(contains(o.text, "sequential threads processes callbacks futures fibers coroutines"))
      << o.text;
}

TEST(DemoCommand, WritesTheTimelinesTheChartAndTheTranscriptOfWhatItPrinted) {
  const fs::path out = fs::temp_directory_path() / ("cmbench-demo-cmd-" + std::to_string(getpid()));
  fs::remove_all(out);
  auto o =
      cmbench("demo three_tasks -m coroutines -m sequential --unit 20ms --out " + out.string());
  ASSERT_EQ(o.status, 0) << o.text;
  // The models run in the models' order, whatever the order of -m.
  EXPECT_LT(o.text.find("three_tasks · sequential"), o.text.find("three_tasks · coroutines"))
      << o.text;
  for (const char* file : {"three_tasks-sequential.json", "three_tasks-coroutines.json",
                           "three_tasks.png", "three_tasks.svg", "three_tasks.transcript.json"})
    EXPECT_TRUE(fs::exists(out / file)) << file << "\n" << o.text;
  const std::string transcript = read(out / "three_tasks.transcript.json");
  EXPECT_TRUE(contains(transcript, "\"Task 3 finished\"")) << transcript;
  EXPECT_TRUE(contains(transcript, "\"demos/three_tasks/coroutines.cpp\"")) << transcript;
  EXPECT_TRUE(contains(o.text, "lesson: sequential")) << o.text;
  // The timeline is a trace the chart script accepts.
  const std::string check = "/usr/bin/python3 " CMBENCH_SOURCE_DIR "/scripts/timeline.py --check " +
                            (out / "three_tasks-coroutines.json").string();
  EXPECT_EQ(test_support::run_command(check, "").status, 0);
  fs::remove_all(out);
}

}  // namespace
