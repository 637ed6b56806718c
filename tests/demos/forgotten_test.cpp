// forgotten in every model holds to demos/forgotten/spec.hpp: the task nobody awaits or
// joins is reported by the model's own warning (named where the model names it), or, for
// threads and processes, its consequence is shown (a terminated child, a zombie reaped);
// sequential code has nothing to forget. Every demo exits 0.
#include <gtest/gtest.h>

#include <signal.h>
#include <cctype>
#include <cerrno>
#include <string>

#include "demo_output.hpp"

namespace {

// The first line containing every part, as an index; npos when none.
std::size_t find_containing(const demo_test::DemoOutput& d,
                            std::initializer_list<std::string> parts) {
  for (std::size_t i = 0; i < d.lines.size(); ++i) {
    bool all = true;
    for (const auto& p : parts) all = all && d.lines[i].text.find(p) != std::string::npos;
    if (all) return i;
  }
  return demo_test::DemoOutput::npos;
}

constexpr auto npos = demo_test::DemoOutput::npos;

class Forgotten : public testing::TestWithParam<std::string> {};

TEST_P(Forgotten, TheModelSaysWhatBecameOfTheForgottenTask) {
  const std::string model = GetParam();
  auto d = demo_test::run("forgotten", model);
  ASSERT_EQ(d.status, 0) << d.text;
  const std::size_t done = d.find("main: done");
  ASSERT_NE(done, npos) << d.text;
  EXPECT_EQ(d.lesson.find("no warning seen"), std::string::npos) << d.lesson;

  if (model == "coroutines") {
    // The coroutine called without co_await never ran, and debug mode names it.
    EXPECT_FALSE(d.said("fetch_report: started")) << d.text;
    EXPECT_NE(find_containing(d, {"asyncio debug: coroutine", "fetch_report", "was never awaited"}),
              npos)
        << d.text;
    // The task ran, failed, and nobody looked: named, with its exception.
    const std::size_t task =
        find_containing(d, {"asyncio debug: task <save_report", "disk full", "was never awaited"});
    ASSERT_NE(task, npos) << d.text;
    EXPECT_GT(task, d.find("save_report: raises disk full")) << d.text;
  } else if (model == "callbacks") {
    const std::size_t log = find_containing(d, {"Unhandled error in Deferred", "disk full"});
    ASSERT_NE(log, npos) << d.text;
    EXPECT_GT(log, d.find("save_report: fails with disk full")) << d.text;
  } else if (model == "futures") {
    const std::size_t log = find_containing(d, {"Future exception was never retrieved: disk full"});
    ASSERT_NE(log, npos) << d.text;
    EXPECT_GT(log, d.find("save_report: fails with disk full")) << d.text;
  } else if (model == "fibers") {
    const std::size_t hub =
        find_containing(d, {"hub: <Greenlet at 0x", "> failed with std::runtime_error: disk full"});
    ASSERT_NE(hub, npos) << d.text;
    EXPECT_GT(hub, d.find("save_report: raises disk full")) << d.text;
    EXPECT_LT(hub, done) << d.text;  // when it died, not when main ended
  } else if (model == "threads") {
    // The child that forgot its join() died of SIGABRT from std::terminate ...
    const std::size_t died = find_containing(d, {"main: child ", "killed by signal 6", "SIGABRT"});
    ASSERT_NE(died, npos) << d.text;
    EXPECT_GT(died, d.find("child: returns without worker.join()")) << d.text;
    EXPECT_NE(d.text.find("terminate called"), std::string::npos) << d.text;  // on stderr
    // ... and the jthread joined on its own: its task finished before main went on.
    const std::size_t finished = d.find("save_report: finished");
    ASSERT_NE(finished, npos) << d.text;
    EXPECT_GT(finished, died) << d.text;
    EXPECT_LT(finished, done) << d.text;
  } else if (model == "processes") {
    const std::size_t zombie = find_containing(d, {"never joined: state Z in /proc/"});
    ASSERT_NE(zombie, npos) << d.text;
    // "... child 1234 ended ...": the digits after "child ".
    const std::string& text = d.lines[zombie].text;
    const std::size_t at = text.find("child ");
    ASSERT_NE(at, std::string::npos) << text;
    std::string pid;
    for (std::size_t i = at + 6;
         i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i)
      pid += text[i];
    ASSERT_FALSE(pid.empty()) << text;
    ASSERT_EQ(text.compare(at + 6 + pid.size(), 6, " ended"), 0) << text;
    EXPECT_TRUE(d.said("main: join() reaped it: /proc/" + pid + " is gone")) << d.text;
    // Nothing left behind: no such process now (a reused pid would not be our zombie).
    EXPECT_TRUE(::kill(std::stoi(pid), 0) == -1 && errno == ESRCH) << "pid " << pid;
  } else {  // sequential
    const std::size_t raised = d.find("save_report: raises disk full");
    const std::size_t caught = d.find("main: the exception reached main at once: disk full");
    ASSERT_NE(raised, npos) << d.text;
    ASSERT_NE(caught, npos) << d.text;
    EXPECT_EQ(caught, raised + 1) << d.text;  // at once: nothing ran in between
    EXPECT_TRUE(d.said("main: checked the [[nodiscard]] result: not saved")) << d.text;
  }
}

INSTANTIATE_TEST_SUITE_P(EveryModel, Forgotten, testing::ValuesIn(demo_test::models),
                         [](const auto& info) { return info.param; });

}  // namespace
