// files in every model holds to demos/files/spec.hpp: the outputs are the upper-cased
// inputs, the files' operations interleave in every concurrent model and follow one
// another in the sequential one, and the temporary directory is gone afterwards.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "isolated_run.hpp"

namespace {

namespace fs = std::filesystem;

const char* const names[] = {"a.txt", "b.txt", "c.txt"};
const char* const outs[] = {"a.out.txt", "b.out.txt", "c.out.txt"};
const int sizes[] = {2048, 3072, 4096};

class Files : public testing::TestWithParam<std::string> {};

TEST_P(Files, TransformsEveryFileAndCleansUp) {
  const std::string model = GetParam();
  demo_test::IsolatedRun run("files", model);
  const auto& d = run.d;
  ASSERT_EQ(d.status, 0) << d.text;
  // The directory was made where $TMPDIR says, and removed with everything in it.
  const std::size_t where = d.find_prefix("working in ");
  ASSERT_NE(where, demo_test::DemoOutput::npos) << d.text;
  const fs::path dir = d.lines[where].text.substr(11);
  EXPECT_EQ(dir.parent_path(), run.tmp) << d.text;
  EXPECT_FALSE(fs::exists(dir)) << dir;
  EXPECT_TRUE(run.tmp_is_empty()) << d.text;
  // Every file read, upper-cased and written, with its size; the read-back is in capitals.
  for (int i = 0; i < 3; ++i) {
    const std::string n = std::to_string(sizes[i]);
    ASSERT_TRUE(d.said("reading " + std::string(names[i]))) << d.text;
    ASSERT_TRUE(d.said("read " + std::string(names[i]) + " (" + n + " bytes)")) << d.text;
    ASSERT_TRUE(d.said("writing " + std::string(outs[i]))) << d.text;
    ASSERT_TRUE(d.said("wrote " + std::string(outs[i]) + " (" + n + " bytes)")) << d.text;
    EXPECT_LT(d.find("reading " + std::string(names[i])),
              d.find("read " + std::string(names[i]) + " (" + n + " bytes)"));
    EXPECT_LT(d.find("writing " + std::string(outs[i])),
              d.find("wrote " + std::string(outs[i]) + " (" + n + " bytes)"));
  }
  EXPECT_TRUE(d.said("a.out.txt begins: HELLO, WORLD! THIS IS A.TXT, LINE 1.")) << d.text;
  ASSERT_NE(d.find_prefix("total "), demo_test::DemoOutput::npos) << d.text;
  // Each operation waits 0.5 units; the first read ends no sooner.
  constexpr double printed = 2.0 / demo_test::unit_ms;
  EXPECT_GE(d.at("read a.txt (2048 bytes)") - d.at("reading a.txt"), 0.5 - printed) << d.text;

  const std::size_t first_read_done =
      std::min({d.find("read a.txt (2048 bytes)"), d.find("read b.txt (3072 bytes)"),
                d.find("read c.txt (4096 bytes)")});
  if (model == "sequential") {
    // Each file's four lines before the next file's first: six operations, 3 units at least.
    EXPECT_LT(d.find("wrote a.out.txt (2048 bytes)"), d.find("reading b.txt")) << d.text;
    EXPECT_LT(d.find("wrote b.out.txt (3072 bytes)"), d.find("reading c.txt")) << d.text;
    EXPECT_GE(d.lines[d.find_prefix("total ")].units, 3.0 - printed) << d.text;
    EXPECT_NE(d.lesson.find("add up"), std::string::npos) << d.lesson;
    return;
  }
  // Concurrent: all three reads start before any ends.
  for (const char* name : names)
    EXPECT_LT(d.find("reading " + std::string(name)), first_read_done) << d.text;
  // No bound on the total: about 1.5 or 2 units against the sequential 3 here, too close
  // to hold under a sanitizer's slowdown (4.5 units seen for fibers under TSan); the
  // overlap is what the order above shows.
  EXPECT_NE(d.lesson.find("overlap"), std::string::npos) << d.lesson;
}

INSTANTIATE_TEST_SUITE_P(EveryModel, Files, testing::ValuesIn(demo_test::models),
                         [](const auto& info) { return info.param; });

}  // namespace
