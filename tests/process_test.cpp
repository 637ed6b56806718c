// Unit tests of processes::Process: results and errors that travel back from a forked
// child, concurrency of many children, and that no child is ever left behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

#include "models/core/span.hpp"
#include "models/processes/process.hpp"

using namespace cmbench;
using processes::ChildError;
using processes::Process;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

namespace {

// After every test: this process has no child left, neither running nor a zombie.
class ProcessTest : public ::testing::Test {
 protected:
  void TearDown() override {
    int status = 0;
    errno = 0;
    EXPECT_EQ(::waitpid(-1, &status, WNOHANG), -1) << "a child is still running or a zombie";
    EXPECT_EQ(errno, ECHILD);
  }
};

// abort() without leaving a core file behind.
[[noreturn]] void abort_quietly() {
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  std::abort();
}

}  // namespace

TEST_F(ProcessTest, ReturnsTheChildsValue) {
  Process<int> child([] { return 6 * 7; });
  EXPECT_GT(child.pid(), 0);
  EXPECT_NE(child.pid(), ::getpid());
  EXPECT_EQ(child.join(), 42);
}

TEST_F(ProcessTest, RunsInAnotherProcess) {
  const pid_t parent = ::getpid();
  Process<pid_t> child([] { return ::getpid(); });
  const pid_t child_pid = child.pid();
  EXPECT_EQ(child.join(), child_pid);
  EXPECT_NE(child_pid, parent);
}

TEST_F(ProcessTest, ReturnsAStruct) {
  Process<Span> child([] { return Span{1, 2}; });
  const Span s = child.join();
  EXPECT_EQ(s.start_ns, 1);
  EXPECT_EQ(s.end_ns, 2);
}

// A result bigger than the pipe's 64 KiB buffer: the parent must read while the child writes.
TEST_F(ProcessTest, ReturnsAResultLargerThanThePipe) {
  using Big = std::array<std::uint32_t, 100'000>;
  Process<Big> child([] {
    Big b{};
    for (std::uint32_t i = 0; i < b.size(); ++i) b[i] = i * 3;
    return b;
  });
  const auto b = std::make_unique<Big>(child.join());
  for (std::uint32_t i = 0; i < b->size(); ++i) ASSERT_EQ((*b)[i], i * 3);
}

TEST_F(ProcessTest, ChildChangesDoNotReachTheParent) {
  int counter = 1;
  Process<int> child([&counter] { return ++counter; });
  EXPECT_EQ(child.join(), 2);
  EXPECT_EQ(counter, 1);
}

// Semantic checks, with a wide margin: the children's own spans overlap, and 50 children
// sleeping 20 ms take less than the 1 s they would one after another (≈ 50 ms alone here,
// ≈ 75 ms under TSan; several sanitized test runs sharing 2 vCPUs reached 700 ms).
TEST_F(ProcessTest, ManyChildrenRunConcurrently) {
  constexpr int n = 50;
  const auto start = std::chrono::steady_clock::now();
  std::vector<Process<Span>> children;
  children.reserve(n);
  for (int i = 0; i < n; ++i) {
    children.emplace_back([] {
      Span s{monotonic_ns(), 0};
      std::this_thread::sleep_for(20ms);
      s.end_ns = monotonic_ns();
      return s;
    });
  }
  std::vector<Span> spans;
  spans.reserve(n);
  for (auto& child : children) spans.push_back(child.join());
  const auto elapsed = std::chrono::steady_clock::now() - start;

  EXPECT_LT(elapsed, n * 20ms);
  for (const Span& s : spans) EXPECT_GE(s.length_ns(), 20'000'000);
  EXPECT_GT(peak_overlap(spans), 1u);
}

TEST_F(ProcessTest, ExceptionMessageReachesTheParent) {
  Process<int> child([]() -> int { throw std::runtime_error("disk on fire"); });
  const pid_t pid = child.pid();
  try {
    child.join();
    FAIL() << "no exception";
  } catch (const ChildError& e) {
    EXPECT_EQ(std::string(e.what()), "child " + std::to_string(pid) + ": disk on fire");
    EXPECT_EQ(e.pid(), pid);
  }
}

TEST_F(ProcessTest, NonStandardExceptionIsReportedAsUnknown) {
  Process<int> child([]() -> int { throw 7; });
  try {
    child.join();
    FAIL() << "no exception";
  } catch (const ChildError& e) {
    EXPECT_THAT(e.what(), HasSubstr(": unknown exception"));
  }
}

TEST_F(ProcessTest, AbortIsReportedWithItsSignal) {
  Process<int> child([]() -> int { abort_quietly(); });
  const pid_t pid = child.pid();
  try {
    child.join();
    FAIL() << "no exception";
  } catch (const ChildError& e) {
    EXPECT_EQ(std::string(e.what()),
              "child " + std::to_string(pid) + " killed by signal 6 (Aborted)");
  }
}

TEST_F(ProcessTest, ExitWithoutResultIsReportedWithItsStatus) {
  Process<int> child([]() -> int { ::_exit(3); });
  const pid_t pid = child.pid();
  try {
    child.join();
    FAIL() << "no exception";
  } catch (const ChildError& e) {
    EXPECT_EQ(std::string(e.what()),
              "child " + std::to_string(pid) + " exited with status 3 without a result");
  }
}

// The destructor kills and reaps a child nobody joined; the fixture checks no zombie is left.
TEST_F(ProcessTest, DestroyedWithoutJoinLeavesNoChild) {
  pid_t pid = 0;
  {
    Process<int> child([] {
      std::this_thread::sleep_for(60s);
      return 0;
    });
    pid = child.pid();
  }
  errno = 0;
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST_F(ProcessTest, JoinTwiceIsALogicError) {
  Process<int> child([] { return 1; });
  EXPECT_EQ(child.join(), 1);
  EXPECT_FALSE(child.joinable());
  EXPECT_THROW(child.join(), std::logic_error);
}

TEST_F(ProcessTest, MoveTransfersTheChild) {
  Process<int> first([] { return 5; });
  const pid_t pid = first.pid();
  Process<int> second(std::move(first));
  EXPECT_FALSE(first.joinable());  // NOLINT(bugprone-use-after-move): the state under test
  EXPECT_THROW(first.join(), std::logic_error);
  EXPECT_EQ(second.pid(), pid);
  EXPECT_EQ(second.join(), 5);
}

// Assigning over a Process that still owns a child kills and reaps that child.
TEST_F(ProcessTest, MoveAssignmentOverARunningChildReapsIt) {
  Process<int> sleeper([] {
    std::this_thread::sleep_for(60s);
    return 0;
  });
  sleeper = Process<int>([] { return 9; });
  EXPECT_EQ(sleeper.join(), 9);
}

// Many children alive at once: the parent holds one descriptor each, and each child's
// result still arrives although later siblings inherited the earlier read ends.
TEST_F(ProcessTest, HundredsOfChildrenAliveAtOnce) {
  constexpr int n = 300;
  std::vector<Process<int>> children;
  children.reserve(n);
  for (int i = 0; i < n; ++i) {
    children.emplace_back([i] {
      std::this_thread::sleep_for(50ms);
      return i;
    });
  }
  for (int i = 0; i < n; ++i) EXPECT_EQ(children[i].join(), i);
}

// terminate() is multiprocessing's: SIGTERM, which kills a child that does not handle it.
TEST_F(ProcessTest, TerminateKillsAChildThatDoesNotHandleSigterm) {
  Process<int> child([] {
    std::this_thread::sleep_for(60s);
    return 0;
  });
  child.terminate();
  try {
    child.join();
    FAIL() << "join() of a terminated child returned";
  } catch (const ChildError& e) {
    EXPECT_THAT(e.what(), HasSubstr("killed by signal 15"));
  }
  child.terminate();  // joined: a no-op
}

// A child that waits for SIGTERM itself gets to clean up, and its result still travels back.
TEST_F(ProcessTest, TerminateLetsAChildThatWaitsForSigtermCleanUp) {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigset_t before;
  ::pthread_sigmask(SIG_BLOCK, &term, &before);  // blocked from fork on: no early death
  Process<int> child([&term] {
    const timespec minute{60, 0};
    return ::sigtimedwait(&term, nullptr, &minute) == SIGTERM ? 7 : -1;  // 7: cleaned up
  });
  ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
  child.terminate();
  EXPECT_EQ(child.join(), 7);
}
