#include "spec.hpp"

#include <fmt/core.h>

#include <string>

namespace cmbench::demos::forgotten {
namespace {

bool said(const Run& r, std::string_view part) {
  for (const auto& l : r.lines)
    if (l.text.find(part) != std::string::npos) return true;
  return false;
}

// What each model did about the forgotten task, from what its run said: "coroutines: debug
// mode named it (never awaited); ... ; sequential: nothing to forget".
std::string lesson(const std::vector<Run>& runs) {
  struct Outcome {
    std::string_view model, evidence, told;
  };
  static constexpr Outcome outcomes[] = {
      {"sequential", "reached main at once", "nothing to forget, the exception reached main"},
      {"threads", "signal 6", "an unjoined std::thread terminates the program"},
      {"processes", "state Z", "a zombie until join() reaps it"},
      {"callbacks", "Unhandled error in Deferred", "\"Unhandled error in Deferred\""},
      {"futures", "Future exception was never retrieved",
       "\"Future exception was never retrieved\""},
      {"fibers", "> failed with", "the hub printed the greenlet's exception"},
      {"coroutines", "was never awaited", "debug mode named the coroutine and the task"},
  };
  std::string text;
  for (const auto& r : runs) {
    std::string told = "no warning seen";
    for (const auto& o : outcomes)
      if (o.model == r.model && said(r, o.evidence)) told = o.told;
    text += fmt::format("{}{}: {}", text.empty() ? "" : "; ", r.model, told);
  }
  return "a task nobody awaits: " + text;
}

}  // namespace

Scenario describe() {
  return {
      .name = "forgotten",
      .title = "A task started and never awaited or joined",
      .teaches =
          "save_report fails after 1 unit while main, which started it, never waits for it. "
          "Each model tells the mistake in its own way: asyncio's debug mode names the "
          "coroutine and the task never awaited; Twisted logs an unhandled error in a "
          "Deferred; Tornado logs a future exception never retrieved; gevent's hub prints the "
          "exception of a greenlet nobody joined. A std::thread never joined terminates the "
          "program; a child process never joined stays a zombie until it is reaped. "
          "Sequential code cannot forget a call: it runs to its end before the next line.",
      .demos = {{"sequential", sequential, "demos/forgotten/sequential.cpp"},
                {"threads", threads, "demos/forgotten/threads.cpp"},
                {"processes", processes, "demos/forgotten/processes.cpp"},
                {"callbacks", callbacks, "demos/forgotten/callbacks.cpp"},
                {"futures", futures, "demos/forgotten/futures.cpp"},
                {"fibers", fibers, "demos/forgotten/fibers.cpp"},
                {"coroutines", coroutines, "demos/forgotten/coroutines.cpp"}},
      .lesson = lesson,
  };
}

}  // namespace cmbench::demos::forgotten
