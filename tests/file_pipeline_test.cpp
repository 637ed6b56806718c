// file_pipeline beyond the verified run at small scale that cells_test gives every cell: a
// missing input and an unreadable one, and a full disk for the outputs, each fail every
// implementation's run with an error naming the file, promptly, and leave no directory
// behind; the verifier rejects a changed byte and a missing output; a cold cache is cold;
// a tmpfs is refused.
//
// "Unreadable" is a directory where the input file should be: the tests run as root, for
// whom chmod 000 does not stop a read. open(2) of a directory for reading succeeds, and the
// read fails with EISDIR, so the failure comes where a permission error would not: later.
// "A full disk" is RLIMIT_FSIZE below the output's size, with SIGXFSZ ignored, so a write
// past it fails with EFBIG, as ENOSPC would: in every implementation, including io_uring's
// kernel workers (they share the process's limits). A small tmpfs would need a mount
// namespace of its own, which a multithreaded test process cannot enter.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cells/registry.hpp"
#include "models/core/offload_pool.hpp"
#include "workloads/catalog.hpp"
#include "workloads/file_pipeline/spec.hpp"

namespace cmbench::file_pipeline {
namespace {

namespace fs = std::filesystem;

struct Implementation {
  const char* name;
  Files (*run)(const Params&);
};

const std::vector<Implementation>& implementations() {
  static const std::vector<Implementation> all = {
      {"sequential", sequential}, {"threads", threads},
      {"processes", processes},   {"callbacks", callbacks},
      {"futures", futures},       {"fibers", fibers},
      {"coroutines", coroutines}, {"coroutines-uring", coroutines_uring},
      {"io_uring", io_uring},     {"libuv", libuv},
  };
  return all;
}

Params small(std::size_t files = 12) {
  return make_params(ParamValues(
      {{"M", std::to_string(files)}, {"S", "4096"}, {"cache", "warm"}, {"sync", "0"}, {"T", "0"}}));
}

// Runs `run` and returns what it threw ("" if it returned).
std::string error_of(const std::function<void()>& run) {
  try {
    run();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// Each implementation's run on fresh parameters, after `damage` changed them, must fail
// with an error containing `names` (given the parameters); the directory must be gone with
// the parameters.
void expect_each_fails(const std::function<void(const Params&)>& damage,
                       const std::function<std::string(const Params&)>& names,
                       const std::function<void()>& before = nullptr,
                       const std::function<void()>& after = nullptr) {
  for (const auto& impl : implementations()) {
    SCOPED_TRACE(impl.name);
    std::string dir;
    {
      Params p = small();
      dir = p.dir->path();
      damage(p);
      if (before) before();
      const std::string why = error_of([&] { impl.run(p); });
      if (after) after();
      EXPECT_NE(why, "") << "the run did not fail";
      EXPECT_NE(why.find(names(p)), std::string::npos) << why;
    }
    EXPECT_FALSE(fs::exists(dir)) << dir << " left behind";
  }
}

TEST(FilePipeline, AMissingInputFailsEveryImplementationNamingTheFile) {
  expect_each_fails([](const Params& p) { ASSERT_EQ(::unlink(p.input(5).c_str()), 0); },
                    [](const Params& p) { return p.input(5) + ": No such file or directory"; });
}

TEST(FilePipeline, AnUnreadableInputFailsEveryImplementationNamingTheFile) {
  expect_each_fails(
      [](const Params& p) {
        ASSERT_EQ(::unlink(p.input(7).c_str()), 0);
        ASSERT_EQ(::mkdir(p.input(7).c_str(), 0755), 0);
      },
      [](const Params& p) { return p.input(7) + ": Is a directory"; });
}

TEST(FilePipeline, AFullDiskForTheOutputsFailsEveryImplementationCleanly) {
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGXFSZ, &ignore, &old), 0);
  auto limit = [&] {
    rlimit small_files = saved;
    small_files.rlim_cur = 1000;  // below the outputs' 4 096 bytes
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small_files), 0);
  };
  auto restore = [&] { ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &saved), 0); };
  // The error names an output (which one depends on the order the files finish in).
  expect_each_fails([](const Params&) {}, [](const Params& p) { return p.dir->path() + "/out/"; },
                    limit, restore);
  ::sigaction(SIGXFSZ, &old, nullptr);
}

TEST(FilePipeline, TheVerifierRejectsAChangedByteAndAMissingOutput) {
  Params p = small();
  const ModelInfo& model = catalog().model("sequential");
  // A run's figures, with the spans of a real sequential run.
  auto run = [&p] { return Result{sequential(p), 1'000'000, 1, 1}; };
  Result r = run();
  {
    std::fstream out(p.output(2), std::ios::in | std::ios::out | std::ios::binary);
    out.seekp(100);
    out.put('#');  // not in either alphabet: certainly a change
  }
  Verdict v = verify(p, r, model);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.why.find(p.output(2)), std::string::npos) << v.why;

  r = run();
  ASSERT_EQ(::unlink(p.output(9).c_str()), 0);
  v = verify(p, r, model);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.why.find(p.output(9) + ": No such file or directory"), std::string::npos) << v.why;

  r = run();
  v = verify(p, r, model);
  EXPECT_TRUE(v.ok) << v.why;
  std::size_t outputs = 0;
  for (const auto& f : fs::directory_iterator(p.dir->path() + "/out")) {
    ++outputs;
    EXPECT_EQ(fs::file_size(f.path()), 0u) << f.path() << ": the verifier empties every output";
  }
  EXPECT_EQ(outputs, p.files);
}

// Pages of `path` in the page cache.
std::size_t resident_pages(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  struct stat st {};
  ::fstat(fd, &st);
  void* map = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  EXPECT_NE(map, MAP_FAILED);
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> in_core((static_cast<std::size_t>(st.st_size) + page - 1) / page);
  EXPECT_EQ(::mincore(map, static_cast<std::size_t>(st.st_size), in_core.data()), 0);
  ::munmap(map, static_cast<std::size_t>(st.st_size));
  std::size_t n = 0;
  for (unsigned char c : in_core) n += c & 1;
  return n;
}

TEST(FilePipeline, ColdInputsAreOutOfThePageCacheBeforeEveryRun) {
  Params p = make_params(
      ParamValues({{"M", "4"}, {"S", "65536"}, {"cache", "cold"}, {"sync", "1"}, {"T", "0"}}));
  for (std::size_t i = 0; i < p.files; ++i) EXPECT_EQ(resident_pages(p.input(i)), 0u) << i;
  Files files = sequential(p);
  EXPECT_GT(resident_pages(p.input(0)), 0u) << "the run read the input through the cache";
  Verdict v = verify(p, Result{files, 1'000'000, 1, 1}, catalog().model("sequential"));
  ASSERT_TRUE(v.ok) << v.why;
  for (std::size_t i = 0; i < p.files; ++i) EXPECT_EQ(resident_pages(p.input(i)), 0u) << i;
}

TEST(FilePipeline, ATmpfsDirectoryIsRefused) {
  ASSERT_EQ(filesystem_type("/dev/shm"), "tmpfs") << "this test needs /dev/shm on tmpfs";
  const char* old = std::getenv("TMPDIR");
  const std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
  ::setenv("TMPDIR", "/dev/shm", 1);
  const std::string why = error_of([] { small(2); });
  if (saved)
    ::setenv("TMPDIR", saved->c_str(), 1);
  else
    ::unsetenv("TMPDIR");
  EXPECT_NE(why.find("/dev/shm is on tmpfs"), std::string::npos) << why;
}

// A cell killed at its time limit cannot remove its directory: the next Scratch removes the
// directories of processes that no longer exist, and leaves a live process's alone.
TEST(FilePipeline, ANewScratchRemovesTheDirectoriesOfDeadProcesses) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);  // its pid now names no process
  const fs::path base = scratch_base();
  const fs::path dead = base / (scratch_prefix + std::to_string(child) + "-test01");
  const fs::path alive = base / (scratch_prefix + std::to_string(::getppid()) + "-test02");
  fs::create_directories(dead / "in");
  std::ofstream(dead / "in" / "00000") << "left behind";
  fs::create_directories(alive);
  {
    Scratch fresh;
    EXPECT_TRUE(fs::exists(fresh.path()));
  }
  EXPECT_FALSE(fs::exists(dead)) << dead;
  EXPECT_TRUE(fs::exists(alive)) << alive;
  fs::remove_all(alive);
}

TEST(FilePipeline, TheOffloadPoolKeepsItsSizeOnceStarted) {
  small(2);  // a cell's set-up sizes it (T = 0: the default)
  OffloadPool& pool = OffloadPool::instance();
  std::atomic<bool> ran{false};
  pool.submit({[&ran] { ran = true; }, [](const std::string*) {}});
  while (!ran) std::this_thread::yield();
  EXPECT_TRUE(pool.set_threads(pool.threads()));
  EXPECT_FALSE(pool.set_threads(pool.threads() + 1));
  EXPECT_THROW(make_params(ParamValues({{"M", "2"},
                                        {"S", "4096"},
                                        {"cache", "warm"},
                                        {"sync", "0"},
                                        {"T", std::to_string(pool.threads() + 1)}})),
               BadInput);
}

}  // namespace
}  // namespace cmbench::file_pipeline
