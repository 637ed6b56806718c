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

// Renames `partial` to `out`/`stamp` (`stamp`-2, -3, ... when that is taken) and points
// `out`/latest at it, through a rename, so that `latest` is always a whole run. Returns the
// run's final directory.
std::filesystem::path publish_run(const std::filesystem::path& partial,
                                  const std::filesystem::path& out, const std::string& stamp);

}  // namespace cmbench
