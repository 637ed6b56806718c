// After every test of this executable, no child process may be left: neither a zombie
// (exited, never reaped) nor a live orphan. A listener checks it at the end of each test and
// ends the run with the test's name when one is found.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace {

class NoLeftoverChildren : public ::testing::EmptyTestEventListener {
  void OnTestEnd(const ::testing::TestInfo& test) override {
    int status = 0;
    pid_t r = waitpid(-1, &status, WNOHANG);
    if (r == -1 && errno == ECHILD) return;
    std::fprintf(stderr, "%s.%s left a child process behind (%s)\n", test.test_suite_name(),
                 test.name(), r == 0 ? "still running" : "a zombie");
    std::_Exit(1);
  }
};

const bool registered = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new NoLeftoverChildren);
  return true;
}();

}  // namespace

TEST(NoLeftoverChildren, TheListenerIsInstalled) {
  EXPECT_TRUE(registered);
}
