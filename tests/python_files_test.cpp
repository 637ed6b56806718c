// file_pipeline's Python rows beyond the verified run that cells_test gives every cell: each
// row reads the very inputs the cell's set-up wrote and writes the outputs its verifier reads
// (a changed input byte, and a changed output byte, each fail the check, naming the output);
// a missing input fails the run with Python's error naming the file; and the cell's
// directory is gone once the cell is. All through the catalog's cell, as the suite runs it:
// the directory is found as the one this process's set-up made under scratch_base().
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "cells/registry.hpp"
#include "workloads/catalog.hpp"
#include "workloads/file_pipeline/spec.hpp"

namespace cmbench::file_pipeline {
namespace {

namespace fs = std::filesystem;

// This process's scratch directories now.
std::set<std::string> scratch_dirs() {
  const std::string mine = scratch_prefix + std::to_string(::getpid()) + "-";
  std::set<std::string> dirs;
  for (const auto& e : fs::directory_iterator(scratch_base()))
    if (e.path().filename().string().starts_with(mine)) dirs.insert(e.path().string());
  return dirs;
}

// Overwrites byte 100 of `path` with one in neither alphabet: certainly a change.
void change_a_byte(const std::string& path) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f) << path;
  f.seekp(100);
  f.put('#');
}

class PythonFiles : public ::testing::TestWithParam<std::string> {};

TEST_P(PythonFiles, TheRowReadsSetUpsFilesWritesTheVerifiedOnesAndLeavesNothing) {
  const CellImpl& impl = catalog().impl("file_pipeline", "py-" + GetParam());
  const ParamValues values(
      {{"M", "6"}, {"S", "4096"}, {"cache", "warm"}, {"sync", "0"}, {"T", "0"}});
  const std::set<std::string> before = scratch_dirs();
  std::string dir;
  {
    cmbench::Run run = impl.prepare(values);
    for (const auto& d : scratch_dirs())
      if (!before.count(d)) dir = d;
    ASSERT_NE(dir, "") << "set-up made no directory under " << scratch_base();

    // An output changed after the row wrote it: the verifier reads the row's files.
    cmbench::Check check = run();
    change_a_byte(dir + "/out/00002");
    Verdict v = check();
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.why.find(dir + "/out/00002"), std::string::npos) << v.why;

    // An input changed before the run: the row reads set-up's files, not files of its own.
    change_a_byte(dir + "/in/00003");
    v = run()();
    EXPECT_FALSE(v.ok);
    EXPECT_NE(v.why.find(dir + "/out/00003"), std::string::npos) << v.why;

    // Set right again, it passes.
    std::ofstream(dir + "/in/00003", std::ios::binary) << input_bytes(3, 4096);
    v = run()();
    EXPECT_TRUE(v.ok) << v.why;

    // A missing input fails the run with Python's own error, naming the file.
    ASSERT_EQ(::unlink((dir + "/in/00005").c_str()), 0);
    std::string why;
    try {
      run();
    } catch (const std::exception& e) {
      why = e.what();
    }
    EXPECT_NE(why.find("FileNotFoundError"), std::string::npos) << why;
    EXPECT_NE(why.find(dir + "/in/00005"), std::string::npos) << why;
  }
  EXPECT_FALSE(fs::exists(dir)) << dir << " left behind";
}

INSTANTIATE_TEST_SUITE_P(Rows, PythonFiles,
                         ::testing::Values("aiofiles", "asyncio", "threading", "multiprocessing",
                                           "gevent", "twisted", "tornado"));

}  // namespace
}  // namespace cmbench::file_pipeline
