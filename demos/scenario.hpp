// A teaching scenario: one of the tutorials' examples, written once per model in
// demos/<scenario>/<model>.cpp, with a spec beside them (demos/<scenario>/spec.hpp) that
// says what the example teaches and what every model's output must show.
//
// The runner (bench/harness/demo_run.hpp) runs a scenario's demos one model after another,
// keeps what each said (say(), demo.hpp) and how long it took, and asks the scenario for
// its one-line lesson. The tests (tests/demos_test.cpp) hold every demo to its spec.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cmbench::demos {

// One line a demo said.
struct Line {
  std::int64_t t_ns = 0;  // since the model's run began
  int pid = 0, tid = 0;
  std::string lane;  // "thread A", "process B"
  std::string text;  // "Task 3 finished"
};

// One model's run of a scenario.
struct Run {
  std::string model;
  std::int64_t wall_ns = 0;
  std::vector<Line> lines;
  std::string error;  // what escaped the demo, if anything did ("" when it ran to its end)

  // The distinct lanes (threads or processes) of the lines whose text starts with
  // `prefix`: where the tasks ran.
  std::size_t lanes(std::string_view prefix = "") const;
};

// A scenario in one model.
struct Demo {
  std::string_view model;   // sequential, threads, processes, callbacks, futures, fibers,
                            // coroutines
  void (*run)();            // the demo itself: all it shows, it says
  std::string_view source;  // its file, relative to the source tree
};

struct Scenario {
  std::string_view name;     // three_tasks
  std::string_view title;    // "Three tasks that wait 2, 3 and 1 units"
  std::string_view teaches;  // what to look at, in a few sentences (the lesson page shows it)
  std::vector<Demo> demos;   // one per model, in the order of the models' table
  // The one-line lesson from the runs of any subset of the models, e.g. "sequential 6.0 s,
  // coroutines 3.0 s: the waits overlapped on one thread".
  std::string (*lesson)(const std::vector<Run>& runs);
};

// Every scenario, in the order of the tutorials' story.
const std::vector<Scenario>& scenarios();

// The scenario of that name; BadInput listing the valid names otherwise.
const Scenario& find_scenario(std::string_view name);

// "6.0 s" (seconds, one decimal; two below 1 s): how the lessons print a wall time.
std::string seconds(std::int64_t ns);

}  // namespace cmbench::demos
