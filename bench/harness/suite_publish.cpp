#include "suite_publish.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>
#include <cerrno>
#include <iostream>
#include <string_view>
#include <system_error>
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

namespace {

constexpr std::string_view partial_prefix = ".partial-";

// `name`, then `name`-2, -3, ...: the first that `take` succeeds with.
template <class Take>
fs::path first_free(const fs::path& dir, const std::string& name, Take take) {
  for (int n = 1;; ++n) {
    fs::path p = dir / (n == 1 ? name : fmt::format("{}-{}", name, n));
    if (take(p)) return p;
  }
}

}  // namespace

fs::path claim_partial(const fs::path& out, const std::string& stamp) {
  fs::create_directories(out);
  const fs::path partial = first_free(out, std::string(partial_prefix) + stamp,
                                      [](const fs::path& p) { return fs::create_directory(p); });
  fs::create_directory(partial / "logs");
  return partial;
}

fs::path publish_run(const fs::path& partial, const fs::path& out) {
  const std::string name = partial.filename().string().substr(partial_prefix.size());
  const fs::path final_dir = first_free(out, name, [&partial](const fs::path& p) {
    if (::renameat2(AT_FDCWD, partial.c_str(), AT_FDCWD, p.c_str(), RENAME_NOREPLACE) == 0)
      return true;
    if (errno == EEXIST) return false;
    throw fs::filesystem_error("publishing the run", partial, p,
                               std::error_code(errno, std::generic_category()));
  });
  // A link of this process's own, renamed over `latest`: suites finishing together each
  // leave a whole link, the last one's.
  const fs::path link = out / "latest", tmp_link = out / fmt::format(".latest.tmp-{}", ::getpid());
  fs::remove(tmp_link);
  fs::create_directory_symlink(final_dir.filename(), tmp_link);
  fs::rename(tmp_link, link);
  return final_dir;
}

}  // namespace cmbench
