// `cmbench demo`: running the tutorials' scenarios (demos/) and showing what happened.
//
// For each model asked for, in the models' order: a header, the demo's own lines as they
// happen (say(), demos/demo.hpp), then how long it took and where its tasks ran. The run
// is recorded with the trace recorder (docs/timelines.md), so the files written to `out`
// are, per scenario:
//   <scenario>-<model>.json     the model's timeline (Chrome Trace Event JSON, Perfetto)
//   <scenario>.png / .svg       the models' timelines stacked on one time axis
//   <scenario>.transcript.json  what each model printed, its wall time, and the lesson;
//                               scripts/lesson.py builds the lesson page from it
// and at the end one line, the lesson ("sequential 6.0 s, coroutines 3.0 s: ...").
// Guarantees: a demo that throws is reported and the other models still run (status 1);
// an unknown scenario or model is a BadInput naming the valid ones.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace cmbench {

struct DemoOptions {
  std::vector<std::string> models;  // empty: all seven, in the models' order
  std::chrono::milliseconds unit{1000};
  std::string out = "cmbench-demo";
  bool chart = true;                        // draw <scenario>.png (needs matplotlib)
  std::uint64_t trace_capacity = 1u << 20;  // events per model's run
};

// 0 when every demo ran to its end (and the chart, if asked for, was drawn), else 1.
int run_demo(const std::string& scenario, const DemoOptions& options);

// The scenarios, their titles and their models.
void list_demos(std::ostream& out);

}  // namespace cmbench
