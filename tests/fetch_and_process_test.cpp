// fetch_and_process: the kernel, the verifier, and what every implementation must do
// beyond the smallest cell (cells_test runs that): hold a queue of capacity 1 and still
// finish, and fail clearly, within its per-fetch timeout and with nothing left behind, when
// the origin stops answering.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string>

#include "fetch_and_process/spec.hpp"
#include "models/callbacks/info.hpp"
#include "models/coroutines/info.hpp"
#include "models/fibers/info.hpp"
#include "models/futures/info.hpp"
#include "models/processes/info.hpp"
#include "models/sequential/info.hpp"
#include "models/threads/info.hpp"

using namespace cmbench;
using namespace cmbench::fetch_and_process;
using namespace std::chrono_literals;

namespace {

int open_fds() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

bool no_children_left() {
  return ::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD;
}

struct Impl {
  const char* name;
  Result (*run)(const Params&);
  const ModelInfo* model;
};

const Impl impls[] = {
    {"sequential", fetch_and_process::sequential, &sequential::info},
    {"threads", fetch_and_process::threads, &threads::info},
    {"threads_pipeline", fetch_and_process::threads_pipeline, &threads::info},
    {"processes", fetch_and_process::processes, &processes::info},
    {"callbacks", fetch_and_process::callbacks, &callbacks::info},
    {"futures", fetch_and_process::futures, &futures::info},
    {"fibers", fetch_and_process::fibers, &fibers::info},
    {"coroutines", fetch_and_process::coroutines, &coroutines::info},
    {"coroutines_naive", fetch_and_process::coroutines_naive, &coroutines::info},
};

struct Shape {
  std::size_t n = 12, producers = 4, consumers = 2, capacity = 4;
  std::chrono::microseconds delay = 1ms, work = 200us;
  std::chrono::milliseconds timeout = 5s;
};

Params params(const Shape& s) {
  Params p;
  p.n = s.n;
  p.delay = s.delay;
  p.work = s.work;
  p.producers = s.producers;
  p.consumers = s.consumers;
  p.capacity = s.capacity;
  p.timeout = s.timeout;
  p.rounds = rounds_for(s.work);
  p.origin = Origin::start({s.delay, std::nullopt});
  p.port = p.origin->port();
  return p;
}

// Descriptors open once a model's runtime is up (a loop kept per thread, the offload
// pool's wake-up descriptors): made on first use and kept, not left behind.
int open_fds_after_warming(const Impl& impl) {
  impl.run(params({.n = 2}));
  return open_fds();
}

// A result the verifier must accept: every item once, its true checksum, fetched in 2 ms.
Result good(const Params& p, std::size_t depth) {
  Result r;
  for (std::size_t i = 0; i < p.n; ++i)
    r.items.push_back({i, work(i, serving::expected(i), p.rounds), {0, 2'000'000}, 3'000'000});
  r.max_depth = depth;
  return r;
}

}  // namespace

TEST(FetchAndProcessKernel, IsDeterministicAndCostsWhatItIsAskedFor) {
  Digest page = serving::expected(3);
  EXPECT_EQ(work(3, page, 1000), work(3, page, 1000));
  EXPECT_NE(work(3, page, 1000), work(4, page, 1000));
  EXPECT_NE(work(3, page, 1000), work(3, page, 1001));
  std::uint64_t small = rounds_for(100us), large = rounds_for(1000us);
  EXPECT_GT(small, 0u);
  EXPECT_GT(large, 5 * small);  // 10× the time, about 10× the rounds
}

TEST(FetchAndProcessVerify, RejectsDuplicatesMissingItemsWrongSumsAndAnOverfullQueue) {
  Params p;
  p.n = 4;
  p.delay = 1ms;
  p.capacity = 2;
  p.rounds = 100;
  EXPECT_TRUE(verify(p, good(p, 2), threads::info).ok);
  EXPECT_TRUE(verify(p, good(p, 0), sequential::info).ok);

  Result r = good(p, 1);
  r.items[3] = r.items[1];  // item 1 twice, item 3 missing
  EXPECT_NE(verify(p, r, threads::info).why.find("/item/1 processed twice"), std::string::npos);
  r = good(p, 1);
  r.items.pop_back();
  EXPECT_NE(verify(p, r, threads::info).why.find("3 items processed of 4"), std::string::npos);
  r = good(p, 1);
  r.items.push_back(r.items[0]);
  EXPECT_FALSE(verify(p, r, threads::info).ok);
  r = good(p, 1);
  r.items[2].checksum ^= 1;
  EXPECT_NE(verify(p, r, threads::info).why.find("/item/2: checksum"), std::string::npos);
  r = good(p, 1);
  r.items[0].fetch.end_ns = 500'000;  // shorter than the origin's delay
  EXPECT_NE(verify(p, r, threads::info).why.find("less than the origin's delay"),
            std::string::npos);
  EXPECT_NE(verify(p, good(p, 3), threads::info).why.find("above its capacity Q=2"),
            std::string::npos);
}

TEST(FetchAndProcessVerify, ReportsThroughputLatencyAndDepth) {
  Params p;
  p.n = 4;
  p.delay = 1ms;
  p.capacity = 2;
  p.rounds = 100;
  Verdict v = verify(p, good(p, 2), threads::info);
  ASSERT_TRUE(v.ok) << v.why;
  ASSERT_EQ(v.metrics.size(), 4u);
  EXPECT_DOUBLE_EQ(v.metrics[0].second, 4 / 3e-3);  // 4 items from 0 to 3 ms
  EXPECT_DOUBLE_EQ(v.metrics[1].second, 2000.0);    // every fetch took 2 ms
  EXPECT_DOUBLE_EQ(v.metrics[2].second, 2000.0);
  EXPECT_DOUBLE_EQ(v.metrics[3].second, 2.0);
}

class FetchAndProcessImpl : public ::testing::TestWithParam<Impl> {};

TEST_P(FetchAndProcessImpl, AQueueOfOneStillCompletesAndNeverHoldsMore) {
  const Impl& impl = GetParam();
  // Consumers slower than producers (3 ms of work per item against 1 ms fetches, four
  // producers): the one slot is full most of the time.
  Params p = params({.n = 12, .producers = 4, .consumers = 1, .capacity = 1, .work = 3ms});
  Result r = impl.run(p);
  Verdict v = verify(p, r, *impl.model);
  EXPECT_TRUE(v.ok) << impl.name << ": " << v.why;
  if (impl.model != &sequential::info) {
    EXPECT_EQ(r.max_depth, 1u) << impl.name;
  }
}

TEST_P(FetchAndProcessImpl, AnOriginThatStopsAnsweringFailsTheRunWithinTheTimeout) {
  const Impl& impl = GetParam();
  const int fds = open_fds_after_warming(impl);
  {
    // The origin answers after 3 s; a fetch may take 200 ms.
    Params p = params({.n = 6, .delay = 3s, .timeout = 200ms});
    auto start = std::chrono::steady_clock::now();
    std::string what = "(no FetchError)";
    try {
      impl.run(p);
    } catch (const FetchError& e) {
      what = e.what();
    } catch (const std::exception& e) {
      what = std::string("not a FetchError: ") + e.what();
    }
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_NE(what.find("GET /item/"), std::string::npos) << impl.name << ": " << what;
    EXPECT_TRUE(what.find("200 ms") != std::string::npos) << impl.name << ": " << what;
    // Not before the timeout; well before the origin would have answered.
    EXPECT_GE(took, 190ms) << impl.name;
    EXPECT_LT(took, 2900ms) << impl.name;
  }  // the origin is stopped and reaped here
  EXPECT_EQ(open_fds(), fds) << impl.name << " left descriptors open";
  EXPECT_TRUE(no_children_left()) << impl.name << " left a child process";
}

INSTANTIATE_TEST_SUITE_P(Every, FetchAndProcessImpl, ::testing::ValuesIn(impls),
                         [](const auto& info) { return std::string(info.param.name); });
