// Leftovers: what a cell's process left behind once it ended. The suite runs each cell in a
// process of its own (suite_child.hpp); while a Leftovers lives, that process's orphans come
// back to the suite (it is their subreaper) and its temporary files go to a directory of
// the suite's own (the cells' TMPDIR). After each cell, collect() names what is left, kills
// and reaps the processes and removes the files, so that the next cell starts clean.
//
// Guarantees: a process the cell started and left running, or one it left unreaped, is
// found even if it left the cell's process group; a file or directory the cell made under
// TMPDIR is found. Not guaranteed: files written elsewhere (a fixed path under /tmp, say;
// the cells write only under TMPDIR, as temp_directory_path() and mkstemp() do).
// Cost: one scan of /proc and one readdir per collect() (≈ 1 ms).
// Thread-safety: one thread, the suite's; a process has at most one Leftovers at a time.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace cmbench {

class Leftovers {
 public:
  // Makes this process the subreaper of its descendants, and a fresh directory under
  // $TMPDIR (else /var/tmp, where file_pipeline would write) that becomes TMPDIR. Throws
  // std::system_error if the directory cannot be made.
  Leftovers();
  // Removes the directory and puts TMPDIR and the subreaper setting back.
  ~Leftovers();
  Leftovers(const Leftovers&) = delete;
  Leftovers& operator=(const Leftovers&) = delete;

  // What was left since the last call, in words ("2 processes running (sleep 1234,
  // python3 1240), 1 temporary file (cmbench-py-Xa81)"), or "" when nothing was. Call it
  // once the cell's process has been reaped: every child of this process is then a leftover.
  std::string collect();

  const std::filesystem::path& directory() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::optional<std::string> old_tmpdir_;
  int old_subreaper_ = 0;
};

}  // namespace cmbench
