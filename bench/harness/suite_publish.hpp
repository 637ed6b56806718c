// Publishing a complete suite run: its report drawn from results.json, then the run moved
// from its partial directory to its final name, and `latest` pointed at it. Until then a
// reader of the output directory sees nothing of the run.
#pragma once

#include <filesystem>
#include <string>

namespace cmbench {

// Runs scripts/report.py on `run_dir`, its output in `run_dir`/summary.txt. Returns false,
// having said why on stderr, when the script failed or took more than 10 minutes.
bool write_report(const std::filesystem::path& report_script, const std::filesystem::path& run_dir);

// Makes the run's partial directory, `out`/.partial-`stamp` (-2, -3, ... when another suite
// holds that name: two suites started within the same second into one folder), with a
// `logs` directory in it, and returns it. The directory is created, never reused: nothing
// another suite writes is removed or shared.
std::filesystem::path claim_partial(const std::filesystem::path& out, const std::string& stamp);

// Renames `partial` (claim_partial's) to `out`/<its name without ".partial-"> (-2, -3, ...
// when that is taken, never replacing a run) and points `out`/latest at it, through a
// rename, so that `latest` is always a whole run. Returns the run's final directory.
std::filesystem::path publish_run(const std::filesystem::path& partial,
                                  const std::filesystem::path& out);

}  // namespace cmbench
