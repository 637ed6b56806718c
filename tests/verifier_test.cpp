// The verifiers reject wrong answers: a result that is short, a wait that was not waited, a
// sequential run that overlapped, a concurrent run that did not, a wrong prime count.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "models/sequential/info.hpp"
#include "models/threads/info.hpp"
#include "workloads/cpu_bound/kernel.hpp"
#include "workloads/cpu_bound/spec.hpp"
#include "workloads/sleep_fanout/spec.hpp"

using namespace cmbench;
using ::testing::HasSubstr;

namespace {
constexpr std::int64_t ms = 1'000'000;

sleep_fanout::Params three_waits() {
  return sleep_fanout::make_params(ParamValues({{"N", "3"}, {"d", "10ms"}, {"w", "1"}}));
}
}  // namespace

TEST(SleepFanoutVerifier, AcceptsOverlappingSpansForAConcurrentModel) {
  sleep_fanout::Result r = {{0, 10 * ms}, {1 * ms, 11 * ms}, {2 * ms, 12 * ms}};
  auto v = sleep_fanout::verify(three_waits(), r, threads::info);
  EXPECT_TRUE(v.ok) << v.why;
  EXPECT_EQ(v.tasks, 3u);
  EXPECT_EQ(v.peak_in_flight, 3u);
}

TEST(SleepFanoutVerifier, RejectsMissingTasks) {
  sleep_fanout::Result r = {{0, 10 * ms}, {0, 10 * ms}};
  auto v = sleep_fanout::verify(three_waits(), r, threads::info);
  EXPECT_FALSE(v.ok);
  EXPECT_THAT(v.why, HasSubstr("only 2 of 3 tasks completed"));
}

TEST(SleepFanoutVerifier, RejectsAWaitShorterThanAsked) {
  sleep_fanout::Result r = {{0, 10 * ms}, {0, 9 * ms}, {0, 10 * ms}};
  auto v = sleep_fanout::verify(three_waits(), r, threads::info);
  EXPECT_FALSE(v.ok);
  EXPECT_THAT(v.why, HasSubstr("task 1 waited"));
}

TEST(SleepFanoutVerifier, RejectsOverlapInTheSequentialModel) {
  sleep_fanout::Result r = {{0, 10 * ms}, {5 * ms, 15 * ms}, {20 * ms, 30 * ms}};
  EXPECT_FALSE(sleep_fanout::verify(three_waits(), r, sequential::info).ok);
  sleep_fanout::Result in_turn = {{0, 10 * ms}, {10 * ms, 20 * ms}, {20 * ms, 30 * ms}};
  EXPECT_TRUE(sleep_fanout::verify(three_waits(), in_turn, sequential::info).ok);
}

TEST(SleepFanoutVerifier, RejectsAConcurrentModelThatNeverOverlapped) {
  sleep_fanout::Result in_turn = {{0, 10 * ms}, {10 * ms, 20 * ms}, {20 * ms, 30 * ms}};
  auto v = sleep_fanout::verify(three_waits(), in_turn, threads::info);
  EXPECT_FALSE(v.ok);
  EXPECT_THAT(v.why, HasSubstr("never overlapped"));
}

TEST(SleepFanoutParams, TheSourceScenarioWaitsTwoThreeOneUnits) {
  auto p = sleep_fanout::make_params(ParamValues({{"N", "3"}, {"d", "100ms"}, {"w", "2-3-1"}}));
  ASSERT_EQ(p.waits.size(), 3u);
  EXPECT_EQ(p.waits[0].count(), 200'000);
  EXPECT_EQ(p.waits[1].count(), 300'000);
  EXPECT_EQ(p.waits[2].count(), 100'000);
}

TEST(CpuBoundVerifier, RejectsAWrongCount) {
  auto p = cpu_bound::make_params(ParamValues({{"K", "2"}, {"width", "300"}}));
  cpu_bound::Result r = {cpu_bound::run_chunk(p.chunks[0]), cpu_bound::run_chunk(p.chunks[1])};
  EXPECT_TRUE(cpu_bound::verify(p, r, sequential::info).ok);
  r[1].primes += 1;
  auto v = cpu_bound::verify(p, r, sequential::info);
  EXPECT_FALSE(v.ok);
  EXPECT_THAT(v.why, HasSubstr("chunk 1 counted"));
  r.pop_back();
  EXPECT_THAT(cpu_bound::verify(p, r, sequential::info).why, HasSubstr("only 1 of 2 chunks"));
}

TEST(CpuBoundKernel, CountsKnownPrimes) {
  EXPECT_EQ(cpu_bound::count_primes(0, 100), 25u);
  EXPECT_EQ(cpu_bound::count_primes(1'000'000'000, 1'000'000'100), 7u);  // 1e9+7, +9, +21, ...
}

TEST(PeakOverlap, TouchingSpansDoNotOverlap) {
  std::vector<Span> s = {{0, 10}, {10, 20}, {5, 15}};
  EXPECT_EQ(peak_overlap(s), 2u);
  EXPECT_EQ(peak_overlap(std::vector<Span>{}), 0u);
}
