// Child: another program run as a child process, the one way the harness, the serving layer
// and the workloads start one (a cell, the load generator, http_fetch's origin, nginx). Its
// standard streams go where the caller says (inherited, /dev/null, a pipe, a file); its
// output is read a line at a time with a deadline; it is waited for with a time limit, killed
// after a grace period, and never left behind: a Child destroyed while its process runs
// kills it (its whole group, if it leads one) and reaps it.
//
// Guarantees: every descriptor the parent keeps (its pipe ends, the pidfd) is close-on-exec
// and closed with the Child; the child's ends are closed in the parent once it started. A
// reaped child is no zombie. Not guaranteed: that a group's other members are reaped (they
// are the group leader's children, not this process's).
// Cost: one posix_spawn (no copy of the parent's page tables), one pidfd, a pipe per piped
// stream. Thread-safety: one Child is used by one thread at a time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "models/core/fd.hpp"

namespace cmbench {

// Where one of a child's standard streams leads.
struct Stdio {
  enum class To { parent, null, pipe, file, out };  // `out`: stderr only, where stdout goes
  To to = To::parent;
  std::filesystem::path file;  // To::file: created if missing (mode 0644)
  bool append = false;         // To::file: appended to rather than truncated

  static Stdio parent() { return {}; }
  static Stdio null() { return {To::null, {}, false}; }
  static Stdio pipe() { return {To::pipe, {}, false}; }
  static Stdio to_file(std::filesystem::path path, bool append = false) {
    return {To::file, std::move(path), append};
  }
  static Stdio as_stdout() { return {To::out, {}, false}; }
};

struct ChildOptions {
  Stdio in, out, err;
  // The child leads a new process group, so that kill() also ends what it forks.
  bool new_group = false;
  // The child starts with no signal blocked, whatever the spawning thread blocks (a server
  // that waits for SIGQUIT must be able to receive it).
  bool unblock_signals = false;
};

// Thrown when the program itself cannot start (missing, not executable), with its errno.
struct CannotStart : std::system_error {
  using std::system_error::system_error;
};

class Child {
 public:
  // Starts argv[0] (a path: not looked up in PATH) with `argv`. Throws CannotStart if the
  // program cannot be started, std::system_error if a file, a pipe or the pidfd cannot be
  // had.
  explicit Child(const std::vector<std::string>& argv, const ChildOptions& options = {});
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  // Kills and reaps a child that still runs.
  ~Child();

  pid_t pid() const { return pid_; }
  // Readable once the child has exited: a descriptor to poll beside others.
  int pidfd() const { return pidfd_.get(); }
  bool reaped() const { return status_.has_value(); }

  // Writes all of `text` to the child's stdin (a pipe), blocking while the pipe is full.
  // Throws std::system_error if the child closed its end (EPIPE, SIGPIPE being ignored) or
  // the write fails.
  void write_stdin(std::string_view text);
  // Closes the parent's end of the stdin pipe: the child reads its end of file.
  void close_stdin() { stdin_.reset(); }
  // The parent's end of the stderr pipe (-1 unless piped), for the caller to read.
  int stderr_fd() const { return stderr_.get(); }
  // Once the child has ended: what it wrote on its stderr pipe (at most 64 KiB; a line or two
  // when it fails), copied to this process's stderr for the log, and its last line returned
  // (for a reason: "cmbench-origin: no network namespace cmbench-a ...").
  std::string last_words();

  // Reads the next line of the child's stdout (a pipe), without its '\n'. `end`: the child
  // closed its stdout (a last line without '\n' is dropped); `late`: the deadline passed
  // with no whole line (what was read so far is kept for the next call).
  enum class Line { read, end, late };
  Line read_line(std::string& line, std::chrono::steady_clock::time_point deadline);

  // Sends `sig` to the child alone (not its group).
  void signal(int sig) const;
  // Waits up to `timeout` for the child to exit, and reaps it: its status as waitpid gives
  // it, or nullopt while it still runs. Throws std::system_error if waiting fails.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  // Waits as long as it takes.
  int wait();
  // SIGKILL to the child (to its group, if it leads one), then reaps it.
  int kill();
  // Waits up to `grace` for it to exit on its own, then kills it.
  int wait_or_kill(std::chrono::milliseconds grace);

 private:
  pid_t pid_ = -1;
  bool group_ = false;
  Fd pidfd_, stdin_, stdout_, stderr_;
  std::string pending_;  // read from stdout, not yet returned as a line
  bool stdout_ended_ = false;
  std::optional<int> status_;
};

// A waitpid status in words: "exited with status 1", "killed by signal 9 (Killed)".
std::string describe_status(int status);

}  // namespace cmbench
