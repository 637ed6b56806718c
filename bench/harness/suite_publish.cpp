#include "suite_publish.hpp"

#include <sys/wait.h>

#include <fmt/core.h>
#include <iostream>
#include <vector>

#include "spawn.hpp"
#include "suite_child.hpp"

namespace cmbench {
namespace fs = std::filesystem;

bool write_report(const fs::path& report_script, const fs::path& run_dir) {
  std::vector<std::string> argv = {"/usr/bin/python3", report_script.string(), run_dir.string()};
  Spawned s = spawn_and_wait(argv, run_dir / "summary.txt", 600);
  if (!s.timed_out && WIFEXITED(s.status) && WEXITSTATUS(s.status) == 0) return true;
  std::cerr << "report: the report script "
            << (s.timed_out ? std::string("timed out") : describe_status(s.status)) << "\n"
            << tail_of(run_dir / "summary.txt", 20);
  return false;
}

fs::path publish_run(const fs::path& partial, const fs::path& out, const std::string& stamp) {
  fs::path final_dir = out / stamp;
  for (int n = 2; fs::exists(final_dir); ++n) final_dir = out / fmt::format("{}-{}", stamp, n);
  fs::rename(partial, final_dir);
  fs::path link = out / "latest", tmp_link = out / ".latest.tmp";
  fs::remove(tmp_link);
  fs::create_directory_symlink(final_dir.filename(), tmp_link);
  fs::rename(tmp_link, link);
  return final_dir;
}

}  // namespace cmbench
