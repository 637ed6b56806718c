// `cmbench trace-cost` runs end to end: both hot paths timed with the recorder compiled in
// but off and built without it, their ratio, and the recorder's cost per event when on.
// It checks that the numbers are there, never what they are: no test asserts a speed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include "run_command.hpp"

using ::testing::ContainsRegex;
using ::testing::HasSubstr;

namespace {

using test_support::Output;

Output cmbench(const std::string& exe, const std::string& args) {
  return test_support::run_command(exe, args);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool sanitizer_build = true;
#else
constexpr bool sanitizer_build = false;
#endif

}  // namespace

TEST(TraceCost, TimesBothHotPathsOffAndWithoutAndPricesAnEvent) {
  namespace fs = std::filesystem;
  const fs::path floor = fs::path(CMBENCH_EXE).parent_path() / "cmbench-trace-floor";
  if (sanitizer_build && !fs::exists(floor))
    GTEST_SKIP() << "cmbench-trace-floor is not built in sanitizer builds (no timing there)";
  auto o = cmbench(CMBENCH_EXE, "trace-cost --rounds 1 --min-time 0.01");
  ASSERT_EQ(o.status, 0) << o.text;
  // row, median (min-max) compiled in and off, the same built without, the ratio
  const std::string cells =
      R"( +[0-9.]+ \([0-9.]+-[0-9.]+\) +[0-9.]+ \([0-9.]+-[0-9.]+\) +[0-9.]+)";
  EXPECT_THAT(o.text, ContainsRegex("micro/dispatch/reactor" + cells));
  EXPECT_THAT(o.text, ContainsRegex("micro/task_pingpong/coroutines" + cells));
  EXPECT_THAT(o.text, HasSubstr("ratio"));
  EXPECT_THAT(o.text, ContainsRegex("micro/dispatch/reactor: (NOT )?within 2 %"));
  EXPECT_THAT(o.text, ContainsRegex("micro/task_pingpong/coroutines: (NOT )?within 2 %"));
  EXPECT_THAT(o.text, ContainsRegex("micro/trace/record +[0-9.]+ ns per event"));
  EXPECT_THAT(o.text, ContainsRegex("micro/trace/task_pingpong_on .* events per op"));
  EXPECT_THAT(o.text, ContainsRegex("micro/trace/dispatch_on .* events per op"));
}

TEST(TraceCost, WithoutTheFloorBesideItSaysSoWithStatus2) {
  // A copy of cmbench in a directory of its own has no floor beside it, as in sanitizer
  // builds.
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("cmbench-trace-cost-test-" + std::to_string(getpid()));
  fs::create_directories(dir);
  fs::copy_file(CMBENCH_EXE, dir / "cmbench", fs::copy_options::overwrite_existing);
  auto o = cmbench((dir / "cmbench").string(), "trace-cost --rounds 1 --min-time 0.01");
  fs::remove_all(dir);
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_THAT(o.text, HasSubstr("cmbench-trace-floor"));
  EXPECT_THAT(o.text, HasSubstr("not found"));
}
