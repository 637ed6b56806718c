// What a concurrency model is, as far as the harness is concerned: its name, the framework
// whose style it follows, whether its tasks can overlap (concurrency) and run at the same
// instant on several cores (parallelism), and the largest number of simultaneous tasks it
// can hold on this machine. A run needing more is listed and shown as "beyond model
// limit", never run. Each model declares its own ModelInfo in models/<model>/info.hpp.
#pragma once

#include <cstdint>
#include <string_view>

namespace cmbench {

struct ModelInfo {
  std::string_view name;          // folder and name component: "threads"
  std::string_view style;         // "threading / concurrent.futures"
  std::string_view idiom;         // one line: how a task is written in this model
  bool concurrent;                // tasks overlap in time
  bool parallel;                  // tasks run at the same instant on several cores
  std::uint64_t max_tasks;        // simultaneous tasks it can hold here
  std::string_view limit_reason;  // why max_tasks is what it is
  double task_start_us;           // rough cost of starting one task, for time estimates only
  // A reference row: an industrial peer (nginx, asio, libuv, a hand-written epoll loop)
  // measured beside the models in the same run, not one of the seven models.
  bool reference = false;
  // A reference row that runs another framework (a Python row, `py-asyncio`): the model here
  // that reproduces its style ("coroutines"), its counterpart among the models. Empty
  // otherwise.
  std::string_view twin = "";
  // A row that starts a program of its own for every run, untimed but not free (a Python
  // interpreter, an MPI job): the harness runs it once per repetition, rather than as many
  // times as fill min_time, and neither traces it nor runs it again on one CPU.
  bool program_per_run = false;
};

inline constexpr std::uint64_t unlimited_tasks = UINT64_MAX;

}  // namespace cmbench
