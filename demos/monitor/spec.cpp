#include "spec.hpp"

#include <fmt/core.h>

#include <string>

namespace cmbench::demos::monitor {
namespace {

// The alive counts of a run's tables, each change once: "5, 4, 3, 2, 1, 0".
std::string counts(const Run& r) {
  std::string seen;
  int last = -1;
  for (const auto& l : r.lines) {
    if (!l.text.starts_with("ps: ")) continue;
    const int n = std::stoi(l.text.substr(4));
    if (n != last) seen += fmt::format("{}{}", seen.empty() ? "" : ", ", n);
    last = n;
  }
  return seen.empty() ? "no table" : seen;
}

// "sequential 15.0 s (alive: 1, 0), threads 5.0 s (alive: 5, 4, 3, 2, 1, 0): ...".
std::string lesson(const std::vector<Run>& runs) {
  std::string text;
  bool sequential = false, concurrent = false;
  for (const auto& r : runs) {
    text += fmt::format("{}{} {} (alive: {})", text.empty() ? "" : ", ", r.model,
                        seconds(r.wall_ns), counts(r));
    (r.model == "sequential" ? sequential : concurrent) = true;
  }
  std::string why;
  if (sequential) why = "one after another, a single task is ever alive";
  if (concurrent)
    why += std::string(why.empty() ? "" : "; ") +
           "concurrently, the table holds every worker still waiting and shrinks by one as "
           "each finishes";
  return text + ": " + why;
}

}  // namespace

Scenario describe() {
  return {
      .name = "monitor",
      .title = "A live task table while five workers wait 1 to 5 units",
      .teaches =
          "A monitor prints the live tasks every half unit, as aiomonitor's ps or a loop over "
          "asyncio.all_tasks() does: all five workers at first, then one fewer each unit as "
          "they finish. Each model has its own view of what is alive: the event loop's tasks "
          "(coroutines), the greenlets, futures or delayed calls the program keeps, the "
          "kernel's threads and processes. Sequential code runs one task at a time: the "
          "table never holds more than one, and cannot even be printed while it waits.",
      .demos = {{"sequential", sequential, "demos/monitor/sequential.cpp"},
                {"threads", threads, "demos/monitor/threads.cpp"},
                {"processes", processes, "demos/monitor/processes.cpp"},
                {"callbacks", callbacks, "demos/monitor/callbacks.cpp"},
                {"futures", futures, "demos/monitor/futures.cpp"},
                {"fibers", fibers, "demos/monitor/fibers.cpp"},
                {"coroutines", coroutines, "demos/monitor/coroutines.cpp"}},
      .lesson = lesson,
  };
}

}  // namespace cmbench::demos::monitor
