// What every demo file uses: the unit of time of this run, and say(), which prints one line
// of the demo's timeline the moment it happens.
//
//   [+2.003 s  thread A]  Task 3 finished
//
// The time is since the model's run began; the lane names the OS thread ("thread A" is the
// one that started the run, B, C … the others in the order they first speak) or, in a
// forked child, its process ("process B"; the child's other threads "process B/2", …). A learner
// reads concurrency off the lanes: three tasks speaking from one lane took turns on one thread;
// from three lanes, they had threads of their own.
//
// Guarantees: say() may be called from any thread and from a forked child (the log lives
// in memory shared across fork); each line reaches stdout in one write(2), so lines from
// several threads or processes never interleave within a line. The runner keeps every line
// for the lesson and the tests (demos/runner.hpp).
// Cost: a clock read, a format and one write(2) (≈ 2 µs): nothing a demo's waits notice.
#pragma once

#include <fmt/core.h>

#include <chrono>
#include <string>
#include <utility>

namespace cmbench::demos {

// The tutorials' "second" (`cmbench demo --unit`, 1 s by default; tests use 100 ms).
std::chrono::milliseconds unit() noexcept;

// `n` units, to the microsecond: units(2) is the tutorials' sleep(2).
std::chrono::microseconds units(double n) noexcept;

// Seconds since the model's run began, as the tutorials print their total time.
double elapsed_s() noexcept;

namespace detail {
void say(std::string text) noexcept;
}

// Prints one timeline line now, e.g. say("Task {} started", n).
template <class... Args>
void say(fmt::format_string<Args...> format, Args&&... args) {
  detail::say(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace cmbench::demos
