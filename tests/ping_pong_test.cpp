// ping_pong beyond the verified run at small scale that cells_test gives every cell: every
// implementation really runs where it was placed (both ends on the one CPU given with
// place=same; on the two different CPUs given with place=split, when the machine has two),
// and gives the caller back its own affinity; the verifier rejects a wrong count of
// hand-offs, a wrong token and an end found on the wrong CPU; bad parameters are BadInput.
#include <gtest/gtest.h>
#include <sched.h>

#include <ostream>
#include <string>
#include <vector>

#include "cells/registry.hpp"
#include "models/threads/info.hpp"
#include "workloads/catalog.hpp"
#include "workloads/ping_pong/spec.hpp"

namespace cmbench::ping_pong {
namespace {

struct Implementation {
  const char* name;
  Result (*run)(const Params&);
  bool splits;  // has a place=split version
};

void PrintTo(const Implementation& i, std::ostream* os) {
  *os << i.name;
}

const std::vector<Implementation>& implementations() {
  static const std::vector<Implementation> all = {
      {"sequential", sequential, false},
      {"threads", threads, true},
      {"threads-semaphore", threads_semaphore, true},
      {"processes", processes, true},
      {"processes-semaphore", processes_semaphore, true},
      {"callbacks", callbacks, true},
      {"futures", futures, true},
      {"coroutines", coroutines, true},
      {"fibers", fibers, true},
      {"symmetric_transfer", symmetric_transfer, false},
      {"fcontext", fcontext, false},
      {"futex", futex, true},
      {"pipe", pipe, true},
  };
  return all;
}

Params at(const std::string& rounds, const std::string& place) {
  return make_params(ParamValues({{"R", rounds}, {"place", place}}));
}

cpu_set_t affinity() {
  cpu_set_t set;
  CPU_ZERO(&set);
  sched_getaffinity(0, sizeof set, &set);
  return set;
}

bool two_cpus() {
  return allowed_cpus().size() >= 2;
}

class EveryImplementation : public testing::TestWithParam<Implementation> {};

TEST_P(EveryImplementation, RunsBothEndsOnTheOneCpuItWasGivenAndRestoresTheCallersAffinity) {
  const cpu_set_t before = affinity();
  const Params p = at("50", "same");
  const Result r = GetParam().run(p);
  EXPECT_EQ(r.cpu_a, p.cpu_a);
  EXPECT_EQ(r.cpu_b, p.cpu_a);
  EXPECT_EQ(r.handoffs, 100);
  EXPECT_EQ(r.token, 100);
  const cpu_set_t after = affinity();
  EXPECT_TRUE(CPU_EQUAL(&before, &after)) << "the caller was left pinned";
}

TEST_P(EveryImplementation, RunsTheEndsOnTwoDifferentCpusWhenSplit) {
  if (!GetParam().splits) {
    const auto& impl = catalog().impl("ping_pong", GetParam().name);
    ASSERT_TRUE(impl.not_applicable);
    EXPECT_NE(impl.not_applicable(ParamValues({{"R", "50"}, {"place", "split"}})), "");
    return;
  }
  if (!two_cpus()) {
    EXPECT_THROW(at("50", "split"), BadInput);
    const auto& impl = catalog().impl("ping_pong", GetParam().name);
    EXPECT_NE(impl.not_applicable(ParamValues({{"R", "50"}, {"place", "split"}})), "");
    GTEST_SKIP() << "one CPU: place=split is not available here";
  }
  const cpu_set_t before = affinity();
  const Params p = at("50", "split");
  ASSERT_NE(p.cpu_a, p.cpu_b);
  const Result r = GetParam().run(p);
  EXPECT_EQ(r.cpu_a, p.cpu_a);
  EXPECT_EQ(r.cpu_b, p.cpu_b);
  EXPECT_NE(r.cpu_a, r.cpu_b);
  EXPECT_EQ(r.handoffs, 100);
  EXPECT_EQ(r.token, 100);
  const Verdict v = verify(p, r, threads::info);
  EXPECT_TRUE(v.ok) << v.why;
  const cpu_set_t after = affinity();
  EXPECT_TRUE(CPU_EQUAL(&before, &after)) << "the caller was left pinned";
}

INSTANTIATE_TEST_SUITE_P(PingPong, EveryImplementation, testing::ValuesIn(implementations()),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

TEST(PingPongVerifier, AcceptsTheRightAnswerAndRejectsWrongCountsTokensAndCpus) {
  const Params p = at("10", "same");
  Result good{20, 20, 1000, p.cpu_a, p.cpu_b};
  const Verdict ok = verify(p, good, threads::info);
  ASSERT_TRUE(ok.ok) << ok.why;
  ASSERT_EQ(ok.metrics.size(), 2u);
  EXPECT_EQ(ok.metrics[0].first, "ns_per_handoff");
  EXPECT_DOUBLE_EQ(ok.metrics[0].second, 50.0);
  EXPECT_EQ(ok.metrics[1].first, "cpus");
  EXPECT_DOUBLE_EQ(ok.metrics[1].second, 1.0);

  Result lost = good;
  lost.handoffs = 19;  // one hand-off missing
  EXPECT_FALSE(verify(p, lost, threads::info).ok);
  Result extra = good;
  extra.handoffs = 22;
  EXPECT_FALSE(verify(p, extra, threads::info).ok);
  Result wrong_token = good;
  wrong_token.token = 19;
  EXPECT_FALSE(verify(p, wrong_token, threads::info).ok);
  Result moved = good;
  moved.cpu_b = p.cpu_a + 1;  // B ran elsewhere
  EXPECT_FALSE(verify(p, moved, threads::info).ok);
  Result untimed = good;
  untimed.elapsed_ns = 0;
  EXPECT_FALSE(verify(p, untimed, threads::info).ok);
}

TEST(PingPongParams, BadValuesAreBadInput) {
  const auto& w = catalog().workload("ping_pong");
  EXPECT_THROW(parse_params(w.params, {"R=0"}), BadInput);
  EXPECT_THROW(parse_params(w.params, {"R=x"}), BadInput);
  EXPECT_THROW(parse_params(w.params, {"place=elsewhere"}), BadInput);
  EXPECT_THROW(catalog().parse_cell("ping_pong/sequential/R:10/place:split"), BadInput);
  EXPECT_NO_THROW(catalog().parse_cell("ping_pong/threads/R:10/place:same"));
}

TEST(PingPongPin, PinsTheThreadAndGivesItsAffinityBack) {
  const cpu_set_t before = affinity();
  const int cpu = allowed_cpus().back();
  {
    Pin pin(cpu);
    EXPECT_EQ(current_cpu(), cpu);
    const cpu_set_t pinned = affinity();
    EXPECT_EQ(CPU_COUNT(&pinned), 1);
  }
  const cpu_set_t after = affinity();
  EXPECT_TRUE(CPU_EQUAL(&before, &after));
}

}  // namespace
}  // namespace cmbench::ping_pong
