// coroutines::aiofiles: files whose calls run on the offload pool. A round trip through
// write and read; errors that name the path (a missing file, a directory read as a file,
// an unknown mode); fdatasync; and the loop stays free while a call runs.
#include "models/coroutines/aiofiles.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/gather.hpp"
#include "models/coroutines/sleep.hpp"

namespace cmbench::coroutines {
namespace {

namespace fs = std::filesystem;

class Aiofiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = fs::temp_directory_path().string() + "/aiofiles-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
};

Task<std::string> write_then_read(std::string path, std::string text) {
  {
    auto out = co_await aiofiles::open(path, "w");
    co_await out.write(text);
    co_await out.fdatasync();
    co_await out.close();
  }
  {
    auto out = co_await aiofiles::open(path, "a");
    co_await out.write("!");
    co_await out.close();
  }
  auto in = co_await aiofiles::open(path, "rb");
  std::string data = co_await in.read();
  co_await in.close();
  co_return data;
}

TEST_F(Aiofiles, WritesAppendsAndReadsBack) {
  std::string big(200'000, 'x');  // more than one read's chunk beyond its size
  for (std::size_t i = 0; i < big.size(); i += 7) big[i] = 'y';
  EXPECT_EQ(run(write_then_read(path("big"), big)), big + "!");
  EXPECT_EQ(run(write_then_read(path("empty"), "")), "!");
}

Task<std::string> read_all(std::string path) {
  auto in = co_await aiofiles::open(path, "r");
  co_return co_await in.read();  // no close: the destructor closes it
}

TEST_F(Aiofiles, ErrorsNameThePath) {
  try {
    run(read_all(path("missing")));
    FAIL() << "no error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOENT);
    EXPECT_NE(std::string(e.what()).find(path("missing")), std::string::npos) << e.what();
  }
  try {
    run(read_all(dir_));  // open succeeds, read fails
    FAIL() << "no error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EISDIR);
    EXPECT_NE(std::string(e.what()).find(dir_), std::string::npos) << e.what();
  }
  EXPECT_THROW(
      run([](std::string p) -> Task<void> { co_await aiofiles::open(p, "r+"); }(path("x"))),
      std::invalid_argument);
}

// A timer task keeps ticking on the loop while files are read and written on the pool.
TEST_F(Aiofiles, TheLoopRunsOtherTasksMeanwhile) {
  auto ticker = []() -> Task<int> {
    int ticks = 0;
    for (int i = 0; i < 3; ++i, ++ticks) co_await sleep(std::chrono::milliseconds(1));
    co_return ticks;
  };
  auto both = [&]() -> Task<std::string> {
    auto [ticks, data] = co_await gather(ticker(), write_then_read(path("f"), "abc"));
    EXPECT_EQ(ticks, 3);
    co_return data;
  };
  EXPECT_EQ(run(both()), "abc!");
}

}  // namespace
}  // namespace cmbench::coroutines
