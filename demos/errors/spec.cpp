#include "spec.hpp"

#include <fmt/core.h>

#include <string_view>

namespace cmbench::demos::errors {
namespace {

// What one run showed in its second part: which tasks were cancelled, which never started.
struct Seen {
  std::string cancelled;
  bool others_started = false;
};

Seen seen(const Run& r) {
  Seen s;
  bool second = false;
  for (const auto& l : r.lines) {
    const std::string_view text = l.text;
    if (text.starts_with("-- ")) second = text == "-- cancel the siblings on the first failure";
    if (!second) continue;
    if (text.ends_with(" cancelled, cleaning up"))
      s.cancelled +=
          fmt::format("{}{}", s.cancelled.empty() ? "" : " and ", text.substr(0, text.size() - 23));
    if (text == "Task 2 started" || text == "Task 3 started") s.others_started = true;
  }
  return s;
}

// "the failure was collected with the results in every model; on the first failure,
// Task 2 and Task 3 were cancelled and cleaned up (threads, fibers); sequential never
// started them".
std::string lesson(const std::vector<Run>& runs) {
  std::string cancelling, never_started, neither;
  auto add = [](std::string& list, const std::string& model) {
    list += (list.empty() ? "" : ", ") + model;
  };
  std::string cancelled;
  for (const auto& r : runs) {
    const Seen s = seen(r);
    if (!s.cancelled.empty()) {
      add(cancelling, r.model);
      cancelled = s.cancelled;
    } else if (!s.others_started) {
      add(never_started, r.model);
    } else {
      add(neither, r.model);
    }
  }
  std::string text = "collected, the failure is one result among the values; on the first failure";
  if (!cancelling.empty())
    text += fmt::format(", {} were cancelled and cleaned up ({})", cancelled, cancelling);
  if (!never_started.empty())
    text += fmt::format("{} the later tasks never started ({}: one after another)",
                        cancelling.empty() ? "" : ";", never_started);
  if (!neither.empty()) text += fmt::format("; nothing was cancelled in {}", neither);
  return text;
}

}  // namespace

Scenario describe() {
  return {
      .name = "errors",
      .title = "An exception in a fan-out: collected, or cancelling the siblings",
      .teaches =
          "Task 1 fails after 1 unit while tasks 2 and 3 wait 2 and 3. Collected with the "
          "results (gather with return_exceptions, DeferredList, each future's, greenlet's "
          "or child's own outcome), the failure is one result among the others, in call "
          "order, and the siblings run to their end. Or the first failure cancels the "
          "siblings (TaskGroup, cancelled delayed calls, killall, a stop flag for threads, "
          "terminate for processes): each stops where it waits, within a unit, and its "
          "clean-up runs. One after another, the failure simply ends the loop: the later "
          "tasks never start.",
      .demos = {{"sequential", sequential, "demos/errors/sequential.cpp"},
                {"threads", threads, "demos/errors/threads.cpp"},
                {"processes", processes, "demos/errors/processes.cpp"},
                {"callbacks", callbacks, "demos/errors/callbacks.cpp"},
                {"futures", futures, "demos/errors/futures.cpp"},
                {"fibers", fibers, "demos/errors/fibers.cpp"},
                {"coroutines", coroutines, "demos/errors/coroutines.cpp"}},
      .lesson = lesson,
  };
}

}  // namespace cmbench::demos::errors
