// Unit tests of parameter parsing: canonical forms, bounds, and the messages of bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cells/params.hpp"

using namespace cmbench;
using ::testing::HasSubstr;

namespace {
const std::vector<ParamSpec> specs = {
    {"N", ParamKind::integer, "100", "tasks", 1, 1'000'000},
    {"d", ParamKind::duration, "10ms", "wait", 1, 60'000'000},
    {"w", ParamKind::list, "1", "weights", 1, 1000},
    {"mode", ParamKind::choice, "a", "mode", 0, 0, {"a", "b"}},
};
}

TEST(Params, DefaultsInSpecOrder) {
  auto v = parse_params(specs, {});
  EXPECT_EQ(v.name_suffix(), "N:100/d:10ms/w:1/mode:a");
}

TEST(Params, CanonicalForms) {
  auto v = parse_params(specs, {"N=1e4", "d=1000us", "w:2-3-1", "mode=b"});
  EXPECT_EQ(v.integer("N"), 10000);
  EXPECT_EQ(v.text("d"), "1ms");
  EXPECT_EQ(v.duration("d").count(), 1000);
  EXPECT_EQ(v.list("w"), (std::vector<std::int64_t>{2, 3, 1}));
  EXPECT_EQ(parse_params(specs, {"N=10k"}).integer("N"), 10000);
  EXPECT_EQ(parse_params(specs, {"d=2s"}).text("d"), "2s");
  EXPECT_EQ(parse_params(specs, {"d=1500us"}).text("d"), "1500us");
}

TEST(Params, UnknownNameListsValidOnes) {
  try {
    parse_params(specs, {"M=3"});
    FAIL() << "no exception";
  } catch (const BadInput& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown parameter 'M'"));
    EXPECT_THAT(e.what(), HasSubstr("N (tasks)"));
    EXPECT_THAT(e.what(), HasSubstr("d (wait)"));
  }
}

TEST(Params, MalformedAndOutOfRangeValuesAreBadInput) {
  for (const char* bad : {"N=abc", "N=-3", "N=0", "N=2000000", "N=", "d=10", "d=ms", "d=0ms",
                          "w=2--1", "w=0", "mode=c", "N", "N=99999999999999999999"}) {
    EXPECT_THROW(parse_params(specs, {bad}), BadInput) << bad;
  }
}

TEST(Params, AHostIsLoopbackANamespaceOrAnAddressAndLoopbackIsLeftOutOfTheName) {
  const std::vector<ParamSpec> placed = {
      {"N", ParamKind::integer, "100", "tasks", 1, 1'000'000},
      {"server", ParamKind::host, "loopback", "the server's host"},
      {"client", ParamKind::host, "loopback", "the client's host"},
  };
  EXPECT_EQ(parse_params(placed, {}).name_suffix(), "N:100");
  EXPECT_EQ(parse_params(placed, {"server=cmbench-a", "client=cmbench-b"}).name_suffix(),
            "N:100/server:cmbench-a/client:cmbench-b");
  EXPECT_EQ(parse_params(placed, {"server=10.0.0.7"}).text("server"), "10.0.0.7");
  for (const char* bad : {"server=", "server=Cmbench", "server=../etc", "server=a b",
                          "server=10.0.0.256", "server=-a", "client=cmbench_a/x"}) {
    try {
      parse_params(placed, {bad});
      ADD_FAILURE() << bad << ": no exception";
    } catch (const BadInput& e) {
      EXPECT_THAT(e.what(), HasSubstr("loopback, a network namespace")) << bad;
    }
  }
}
