// The Python rows' machinery (workloads/python/rows.hpp): a row's result goes through the
// workload's verifier, a wrong or unreadable one fails the cell, an error or a crash in the
// interpreter is reported with what the program said, and nothing is left behind. Every
// real row is run at its workload's smallest scale by cells_test.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <optional>
#include <string>

#include "cells/registry.hpp"
#include "harness/holdings.hpp"
#include "workloads/catalog.hpp"
#include "workloads/python/rows.hpp"
#include "workloads/sleep_fanout/spec.hpp"

namespace cmbench {
namespace {

namespace fs = std::filesystem;
using testing::HasSubstr;

// A row of sleep_fanout from tests/data/python/<name>.py, with the workload's own verifier.
Prepare test_row(const std::string& name) {
  return python::prepared_row(
      std::string(CMBENCH_SOURCE_DIR) + "/tests/data/python/" + name + ".py",
      sleep_fanout::make_params, sleep_fanout::python_args, sleep_fanout::python_result,
      sleep_fanout::verify, python::asyncio);
}

const ParamValues three_waits = ParamValues({{"N", "3"}, {"d", "5ms"}, {"w", "1"}});

// A scratch directory of its own as TMPDIR while it lives, so that what the rows leave there
// is theirs alone, whatever other tests run at the same time.
class OwnTmpdir {
 public:
  OwnTmpdir()
      : dir_(fs::temp_directory_path() / ("cmbench-py-test-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
    const char* was = std::getenv("TMPDIR");
    if (was) before_ = was;
    ::setenv("TMPDIR", dir_.c_str(), 1);
  }
  ~OwnTmpdir() {
    if (before_) {
      ::setenv("TMPDIR", before_->c_str(), 1);
    } else {
      ::unsetenv("TMPDIR");
    }
    fs::remove_all(dir_);
  }
  std::size_t files() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir_), {}));
  }

 private:
  fs::path dir_;
  std::optional<std::string> before_;
};

TEST(PythonRows, ARealRowIsVerifiedAndReportsItsCpu) {
  const CellImpl& impl = catalog().impl("sleep_fanout", "py-asyncio");
  cmbench::Run run = impl.prepare(three_waits);
  Verdict v = run()();
  ASSERT_TRUE(v.ok) << v.why;
  EXPECT_EQ(v.tasks, 3u);
  EXPECT_GE(v.peak_in_flight, 2u);  // the three waits overlapped, as the spans show
  ASSERT_EQ(v.metrics.size(), 1u);
  EXPECT_EQ(v.metrics[0].first, "cpu_util");
  EXPECT_GT(v.metrics[0].second, 0.0);
  // A second run gets an interpreter of its own, started while the first was checked.
  Verdict again = run()();
  EXPECT_TRUE(again.ok) << again.why;
}

TEST(PythonRows, AWrongResultFailsVerification) {
  Verdict v = test_row("wrong_fanout")(three_waits)()();
  EXPECT_FALSE(v.ok);
  EXPECT_THAT(v.why, HasSubstr("waited 0 us, less than its 5000 us"));
}

TEST(PythonRows, AnUnreadableResultFailsVerification) {
  Verdict v = test_row("garbled")(three_waits)()();
  EXPECT_FALSE(v.ok);
  EXPECT_THAT(v.why, HasSubstr("'start' is not an integer"));
}

TEST(PythonRows, ARowThatRaisesFailsWithItsError) {
  cmbench::Run run = test_row("raises")(three_waits);
  try {
    run();
    FAIL() << "the run did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("ValueError: no luck with 3 waits"));
  }
}

TEST(PythonRows, AMissingFrameworkFailsAtSetUpWithTheTraceback) {
  try {
    test_row("cannot_import")(three_waits);
    FAIL() << "set-up did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("ended at start"));
    EXPECT_THAT(e.what(), HasSubstr("No module named 'cmbench_no_such_framework'"));
  }
}

TEST(PythonRows, AnInterpreterKilledMidRunIsReported) {
  cmbench::Run run = test_row("dies")(three_waits);
  try {
    run();
    FAIL() << "the run did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("ended during its run"));
  }
}

TEST(PythonRows, AMissingProgramIsNamed) {
  try {
    python::Interpreter("sleep_fanout/python/no_such_framework.py", "{}");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("no Python row at"));
  }
}

TEST(PythonRows, NothingIsLeftBehind) {
  OwnTmpdir tmp;
  const std::size_t children = Holdings::now().children.size();
  {
    cmbench::Run run = catalog().impl("sleep_fanout", "py-gevent").prepare(three_waits);
    ASSERT_TRUE(run()().ok);
    cmbench::Run failing = test_row("raises")(three_waits);
    EXPECT_THROW(failing(), std::runtime_error);
    EXPECT_GT(tmp.files(), 0u);  // the next runs' interpreters are ready, their stderr files too
  }  // the interpreters started for the runs that never came are killed and reaped here
  EXPECT_EQ(Holdings::now().children.size(), children);
  EXPECT_EQ(tmp.files(), 0u);
}

TEST(PythonRows, TheArgumentsAreJson) {
  EXPECT_EQ(python::Args().json(), "{}");
  EXPECT_EQ(python::Args()
                .integer("n", -3)
                .integers("xs", {1, 2})
                .integers("none", {})
                .text("s", "a\"b\\c\nd")
                .json(),
            R"({"n": -3, "xs": [1,2], "none": [], "s": "a\"b\\c d"})");
}

TEST(PythonRows, AreOneReferenceModelWithAVariantPerFramework) {
  const Catalog& c = catalog();
  EXPECT_EQ(&c.model_of("py-asyncio"), &c.model("py"));
  EXPECT_EQ(&c.model_of("callbacks-on_loop"), &c.model("callbacks"));
  EXPECT_THROW(c.model_of("pyx-asyncio"), BadInput);
  const CellImpl& twisted = c.impl("sleep_fanout", "py-twisted");
  EXPECT_TRUE(twisted.model->reference);
  EXPECT_EQ(twisted.bounds().twin, "callbacks");
  // `--model py` takes in every framework; a label takes in one.
  auto all = c.select(Profile::full, {"sleep_fanout"}, {"py"});
  auto one = c.select(Profile::full, {"sleep_fanout"}, {"py-gevent"});
  ASSERT_FALSE(one.empty());
  EXPECT_GT(all.size(), one.size());
  for (const auto& cell : one) EXPECT_EQ(cell.impl->label(), "py-gevent");
}

TEST(PythonRows, RunInTheQuickProfileOnlyAtTheirChosenScales) {
  const Catalog& c = catalog();
  auto quick = c.select(Profile::quick, {"sleep_fanout"}, {"py"});
  auto full = c.select(Profile::full, {"sleep_fanout"}, {"py"});
  ASSERT_FALSE(quick.empty());
  EXPECT_LT(quick.size(), full.size());
  for (const auto& cell : quick) {
    EXPECT_EQ(cell.params.integer("N"), 100) << cell.name();
    EXPECT_NE(cell.impl->label(), "py-multiprocessing");  // too dear for the quick run
  }
  bool multiprocessing_in_full = false;
  for (const auto& cell : full)
    multiprocessing_in_full |= cell.impl->label() == "py-multiprocessing";
  EXPECT_TRUE(multiprocessing_in_full);
}

}  // namespace
}  // namespace cmbench
