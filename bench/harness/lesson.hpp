// `cmbench lesson`: the page a teacher projects (docs/teaching.md).
//
// Runs every scenario asked for (all of them when none is named) in all seven models, with
// their charts, exactly as `cmbench demo` does, into one folder; then scripts/lesson.py
// builds from that run, and from the models' source files, two twins in the same folder:
//   lesson.html  one offline page (no network, the charts beside it), per scenario: what it
//                teaches, the lesson line, the chart, the seven files side by side and what
//                each printed
//   lesson.md    the same in Markdown
// Guarantees: nothing on the page is written by hand; a demo that fails is still on the
// page, with its error, and the status is 1; an unknown scenario is a BadInput naming the
// valid ones, before anything runs.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace cmbench {

struct LessonOptions {
  std::vector<std::string> scenarios;  // empty: every scenario, in the story's order
  std::chrono::milliseconds unit{1000};
  std::string out = "cmbench-lesson";
};

// 0 when every demo ran to its end and both pages were written, else 1.
int run_lesson(const LessonOptions& options);

}  // namespace cmbench
