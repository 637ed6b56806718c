// The one child-process helper (cells/child_process.hpp): lines read within a deadline, a
// deadline that passes, a child killed after its grace period (alone, or with its group),
// streams to pipes, /dev/null and files, a program that cannot start, and nothing left
// behind: no descriptor here, and no child (tests/no_leftover_children_test.cpp checks the
// latter after every test too). Timing assertions have margins of several times.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "cells/child_process.hpp"

using namespace cmbench;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

std::size_t open_descriptors() {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator("/proc/self/fd"), {}));
}

ChildOptions streams(Stdio in, Stdio out, Stdio err = Stdio::parent()) {
  ChildOptions o;
  o.in = std::move(in);
  o.out = std::move(out);
  o.err = std::move(err);
  return o;
}

ChildOptions piped_stdout() {
  return streams(Stdio::parent(), Stdio::pipe());
}

// True once `pid` is gone or a zombie (its parent, not this process, reaps it).
bool ended(pid_t pid) {
  for (auto deadline = Clock::now() + 5s; Clock::now() < deadline;) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    auto state = text.rfind(") ");
    if (text.empty() || (state != std::string::npos && text[state + 2] == 'Z')) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

}  // namespace

TEST(ChildProcess, ReadsLinesWithinTheDeadlineThenTheEnd) {
  Child child({"/bin/sh", "-c", "echo first; sleep 0.05; printf 'second\\nunfinished'"},
              piped_stdout());
  std::string line;
  const auto deadline = Clock::now() + 10s;
  ASSERT_EQ(child.read_line(line, deadline), Child::Line::read);
  EXPECT_EQ(line, "first");
  ASSERT_EQ(child.read_line(line, deadline), Child::Line::read);
  EXPECT_EQ(line, "second");
  EXPECT_EQ(child.read_line(line, deadline), Child::Line::end);  // no '\n': dropped
  EXPECT_EQ(describe_status(child.wait()), "exited with status 0");
}

TEST(ChildProcess, ADeadlineThatPassesIsLateAndKeepsWhatWasRead) {
  Child child({"/bin/sh", "-c", "printf 'half'; sleep 10"}, piped_stdout());
  std::string line;
  const auto t0 = Clock::now();
  EXPECT_EQ(child.read_line(line, t0 + 100ms), Child::Line::late);
  EXPECT_GE(Clock::now() - t0, 100ms);
  EXPECT_LT(Clock::now() - t0, 5s);
  EXPECT_EQ(child.read_line(line, Clock::now()), Child::Line::late);  // already past
  EXPECT_FALSE(child.reaped());
}  // the destructor kills and reaps it

TEST(ChildProcess, AChildThatOutstaysItsGraceIsKilled) {
  Child child({"/bin/sleep", "10"});
  const auto t0 = Clock::now();
  const int status = child.wait_or_kill(100ms);
  EXPECT_GE(Clock::now() - t0, 100ms);
  EXPECT_LT(Clock::now() - t0, 5s);
  EXPECT_EQ(describe_status(status), "killed by signal 9 (Killed)");
  EXPECT_TRUE(child.reaped());
}

TEST(ChildProcess, AChildThatEndsWithinItsGraceIsNotKilled) {
  Child child({"/bin/sh", "-c", "exit 3"});
  const auto t0 = Clock::now();
  EXPECT_EQ(describe_status(child.wait_or_kill(10s)), "exited with status 3");
  EXPECT_LT(Clock::now() - t0, 5s);
}

TEST(ChildProcess, ClosingStdinEndsAReaderOfIt) {
  Child child({"/bin/cat"}, streams(Stdio::pipe(), Stdio::pipe()));
  child.close_stdin();
  std::string line;
  EXPECT_EQ(child.read_line(line, Clock::now() + 10s), Child::Line::end);
  EXPECT_EQ(describe_status(child.wait_or_kill(10s)), "exited with status 0");
}

TEST(ChildProcess, KillingAGroupLeaderEndsWhatItForked) {
  Child child({"/bin/sh", "-c", "sleep 10 & echo $!; wait"}, [] {
    ChildOptions o = piped_stdout();
    o.new_group = true;
    return o;
  }());
  std::string line;
  ASSERT_EQ(child.read_line(line, Clock::now() + 10s), Child::Line::read);
  const pid_t grandchild = std::stoi(line);
  EXPECT_EQ(describe_status(child.kill()), "killed by signal 9 (Killed)");
  EXPECT_TRUE(ended(grandchild));
}

TEST(ChildProcess, StdoutAndStderrToOneFileStdinFromDevNull) {
  const fs::path log = fs::temp_directory_path() / ("cmbench-child-" + std::to_string(::getpid()));
  {
    std::ofstream(log) << "before\n";
    Child child({"/bin/sh", "-c", "echo out; echo err >&2; cat"},
                streams(Stdio::null(), Stdio::to_file(log, true), Stdio::as_stdout()));
    EXPECT_EQ(describe_status(child.wait_or_kill(10s)), "exited with status 0");
  }
  std::ifstream in(log);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), {}), "before\nout\nerr\n");
  fs::remove(log);
}

TEST(ChildProcess, AProgramThatCannotStartThrowsAndLeavesNothing) {
  const std::size_t before = open_descriptors();
  EXPECT_THROW(Child({"/nonexistent/cmbench-child"}, streams(Stdio::pipe(), Stdio::pipe())),
               CannotStart);
  EXPECT_EQ(open_descriptors(), before);
}

TEST(ChildProcess, LeavesNoDescriptorAndNoChild) {
  const std::size_t before = open_descriptors();
  {
    Child child({"/bin/sleep", "10"}, streams(Stdio::pipe(), Stdio::pipe(), Stdio::pipe()));
    EXPECT_EQ(open_descriptors(), before + 4);  // three pipe ends and the pidfd
    EXPECT_GE(child.stderr_fd(), 0);
  }
  EXPECT_EQ(open_descriptors(), before);
  errno = 0;
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}
