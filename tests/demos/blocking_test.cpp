// blocking in every model holds to demos/blocking/spec.hpp: CPU-bound chunks run one at a
// time on an event loop and two at once with threads, processes or an offload pool; one
// blocking call stops an event loop's ticker for its length, and the model's slow-callback
// detector reports it, while threads and processes tick on.
#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <thread>

#include "demo_output.hpp"

namespace {

using demo_test::DemoOutput;

struct Span {
  double from = -1, to = -1;
  std::string lane;
};

// Each chunk's run, from "<where>: chunk N started" to "<where>: chunk N finished".
std::vector<Span> chunk_spans(const DemoOutput& d, const std::string& where) {
  std::vector<Span> spans;
  for (int n = 1; n <= 4; ++n) {
    const std::string prefix = where + ": chunk " + std::to_string(n);
    const std::size_t a = d.find(prefix + " started"), b = d.find(prefix + " finished");
    if (a == DemoOutput::npos || b == DemoOutput::npos) return {};
    spans.push_back({d.lines[a].units, d.lines[b].units, d.lines[a].lane});
  }
  return spans;
}

// The most chunks running at one moment (a chunk runs from its start to its finish line).
int most_at_once(const std::vector<Span>& spans) {
  int most = 0;
  for (const auto& s : spans) {
    int here = 0;
    for (const auto& t : spans) here += t.from <= s.from && s.from < t.to;
    most = std::max(most, here);
  }
  return most;
}

// The ticks' times, in the order said.
std::vector<double> ticks(const DemoOutput& d) {
  std::vector<double> at;
  for (const auto& l : d.lines)
    if (l.text.rfind("tick ", 0) == 0) at.push_back(l.units);
  return at;
}

// The longest time between two ticks, and when it ended.
std::pair<double, double> longest_gap(const std::vector<double>& at) {
  double gap = 0, end = -1;
  for (std::size_t i = 1; i < at.size(); ++i)
    if (at[i] - at[i - 1] > gap) {
      gap = at[i] - at[i - 1];
      end = at[i];
    }
  return {gap, end};
}

bool event_driven(const std::string& model) {
  return model == "callbacks" || model == "futures" || model == "fibers" || model == "coroutines";
}

class Blocking : public testing::TestWithParam<std::string> {};

TEST_P(Blocking, ChunksOverlapOnlyOffTheLoopAndABlockingCallStallsOnlyTheLoop) {
  const std::string model = GetParam();
  auto d = demo_test::run("blocking", model);
  ASSERT_EQ(d.status, 0) << d.text;
  const bool two_cores = std::thread::hardware_concurrency() >= 2;

  // Part A. One at a time, on one thread: sequential, and an event loop's plain tasks.
  const std::string alone = model == "sequential" ? "sequential" : "loop";
  if (model == "sequential" || event_driven(model)) {
    auto spans = chunk_spans(d, alone);
    ASSERT_EQ(spans.size(), 4u) << d.text;
    EXPECT_EQ(most_at_once(spans), 1) << d.text;
    std::set<std::string> lanes;
    for (const auto& s : spans) lanes.insert(s.lane);
    EXPECT_EQ(lanes, std::set<std::string>{"thread A"}) << d.text;
    // Each chunk finished before the next one started, in call order.
    for (std::size_t i = 1; i < spans.size(); ++i)
      EXPECT_LE(spans[i - 1].to, spans[i].from) << d.text;
  }
  // Two at once: threads, processes, and the event loops' offload pools.
  const std::string together = model == "threads"     ? "threads"
                               : model == "processes" ? "processes"
                               : event_driven(model)  ? "pool"
                                                      : "";
  if (!together.empty()) {
    auto spans = chunk_spans(d, together);
    ASSERT_EQ(spans.size(), 4u) << d.text;
    if (two_cores) {
      EXPECT_GE(most_at_once(spans), 2) << d.text;
    }
    std::set<std::string> lanes;
    for (const auto& s : spans) lanes.insert(s.lane);
    EXPECT_GE(lanes.size(), two_cores ? 2u : 1u) << d.text;
    EXPECT_EQ(lanes.count("thread A"), 0u) << "the chunks left the main thread\n" << d.text;
    EXPECT_NE(d.find_prefix(together + ": 4 chunks in "), DemoOutput::npos) << d.text;
  }

  // Part B. The ticker around the blocking call.
  const auto at = ticks(d);
  ASSERT_EQ(at.size(), 8u) << d.text;
  const double call = d.at("blocking call: sleep 1 unit");
  const double back = d.at("blocking call returned");
  ASSERT_GE(call, 0) << d.text;
  ASSERT_GE(back, call + 0.95) << d.text;  // it did block for its unit (less rounding)
  const auto [gap, gap_end] = longest_gap(at);
  const std::size_t report = d.find_prefix("detector: ");
  if (model == "threads" || model == "processes") {
    // The blocking call stalled its own thread or process only: ticks came meanwhile, and
    // no stall like an event loop's ends with it. (A loaded machine may still delay one tick
    // by half a unit: the longest gap alone says nothing.)
    EXPECT_FALSE(gap >= 0.8 && gap_end >= back - 0.02) << d.text;
    int during = 0;
    for (double t : at) during += t > call && t < back;
    EXPECT_GE(during, 2) << d.text;
    EXPECT_EQ(report, DemoOutput::npos) << d.text;
    return;
  }
  // Sequential and every event loop: the ticks wait for the blocking call.
  EXPECT_GE(gap, 0.8) << d.text;
  EXPECT_GE(gap_end, back - 0.02) << "the gap is the blocking call's\n" << d.text;
  for (double t : at) EXPECT_FALSE(t > call + 0.02 && t < back - 0.02) << t << "\n" << d.text;
  if (model == "sequential") {
    EXPECT_EQ(report, DemoOutput::npos) << d.text;
    return;
  }
  // The detector reports it, with the seconds it took (≥ 0.8 unit), on the loop's thread.
  ASSERT_NE(report, DemoOutput::npos) << d.text;
  const std::string& line = d.lines[report].text;
  // "... took 1.001 seconds ...": the number before " seconds".
  const std::size_t unit_at = line.find(" seconds");
  ASSERT_NE(unit_at, std::string::npos) << line;
  std::size_t from = unit_at;
  while (from > 0 &&
         (std::isdigit(static_cast<unsigned char>(line[from - 1])) || line[from - 1] == '.'))
    --from;
  ASSERT_LT(from, unit_at) << line;
  EXPECT_GE(std::stod(line.substr(from, unit_at - from)) * 1000.0 / demo_test::unit_ms, 0.8)
      << line;
  EXPECT_EQ(d.lines[report].lane, "thread A") << d.text;
  EXPECT_GE(d.lines[report].units, back - 0.02) << d.text;
  EXPECT_NE(d.lesson.find("detector"), std::string::npos) << d.lesson;
}

INSTANTIATE_TEST_SUITE_P(EveryModel, Blocking, testing::ValuesIn(demo_test::models),
                         [](const auto& info) { return info.param; });

}  // namespace
