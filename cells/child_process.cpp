#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "models/core/sigpipe.hpp"

extern char** environ;

namespace cmbench {
namespace {

[[noreturn]] void fail(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), what);
}

// The file actions of one standard stream `target`; a pipe's parent end goes to `parent`.
// Descriptors the child needs are kept in `keep` until it started.
void arrange(posix_spawn_file_actions_t& actions, const Stdio& s, int target, Fd& parent,
             std::vector<Fd>& keep) {
  switch (s.to) {
    case Stdio::To::parent:
      return;
    case Stdio::To::null:
      posix_spawn_file_actions_addopen(&actions, target, "/dev/null",
                                       target == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0);
      return;
    case Stdio::To::out:
      posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, target);
      return;
    case Stdio::To::file: {
      const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (s.append ? O_APPEND : O_TRUNC);
      Fd fd(::open(s.file.c_str(), flags, 0644));
      if (!fd) fail(errno, "open " + s.file.string());
      posix_spawn_file_actions_adddup2(&actions, fd.get(), target);
      keep.push_back(std::move(fd));
      return;
    }
    case Stdio::To::pipe: {
      int ends[2];
      if (::pipe2(ends, O_CLOEXEC) != 0) fail(errno, "pipe2");
      const bool in = target == STDIN_FILENO;  // the child reads stdin, writes the others
      Fd child_end(ends[in ? 0 : 1]);
      parent = Fd(ends[in ? 1 : 0]);
      posix_spawn_file_actions_adddup2(&actions, child_end.get(), target);
      keep.push_back(std::move(child_end));
      return;
    }
  }
}

}  // namespace

Child::Child(const std::vector<std::string>& argv, const ChildOptions& o) : group_(o.new_group) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  int rc = 0;
  try {
    std::vector<Fd> child_ends;  // closed here once the child has its copies
    arrange(actions, o.in, STDIN_FILENO, stdin_, child_ends);
    arrange(actions, o.out, STDOUT_FILENO, stdout_, child_ends);
    arrange(actions, o.err, STDERR_FILENO, stderr_, child_ends);
    short flags = 0;
    if (o.new_group) {  // set before exec: a kill of the group cannot race the child
      posix_spawnattr_setpgroup(&attr, 0);
      flags |= POSIX_SPAWN_SETPGROUP;
    }
    if (o.unblock_signals) {
      sigset_t none;
      sigemptyset(&none);
      posix_spawnattr_setsigmask(&attr, &none);
      flags |= POSIX_SPAWN_SETSIGMASK;
    }
    posix_spawnattr_setflags(&attr, flags);
    rc = ::posix_spawn(&pid_, args[0], &actions, &attr, args.data(), environ);
  } catch (...) {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    throw;
  }
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw CannotStart(rc, std::generic_category(), "starting " + argv[0]);
  pidfd_ = Fd(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
  if (!pidfd_) {
    const int e = errno;
    ::kill(group_ ? -pid_ : pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    fail(e, "pidfd_open");
  }
}

Child::~Child() {
  if (pid_ <= 0 || reaped()) return;
  try {
    kill();
  } catch (const std::system_error&) {  // waitpid refused: nothing more can be done here
  }
}

void Child::write_stdin(std::string_view text) {
  // Should the child have closed its end, the caller gets EPIPE instead of a killed process.
  int error = 0;
  {
    const SigpipeBlocked blocked;
    while (!text.empty()) {
      ssize_t n = ::write(stdin_.get(), text.data(), text.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error = errno;
        break;
      }
      text.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  if (error) fail(error, "writing to a child's stdin");
}

Child::Line Child::read_line(std::string& line, std::chrono::steady_clock::time_point deadline) {
  using namespace std::chrono;
  for (;;) {
    if (auto eol = pending_.find('\n'); eol != std::string::npos) {
      line = pending_.substr(0, eol);
      pending_.erase(0, eol + 1);
      return Line::read;
    }
    if (stdout_ended_) return Line::end;
    // Rounded up: "late" is never said before the deadline.
    const auto left = ceil<milliseconds>(deadline - steady_clock::now()).count();
    pollfd p{stdout_.get(), POLLIN, 0};
    if (left <= 0) return Line::late;
    int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) fail(errno, "poll");
    if (ready == 0) return Line::late;
    char chunk[4096];
    ssize_t n = ::read(stdout_.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      stdout_ended_ = true;
      continue;
    }
    pending_.append(chunk, static_cast<std::size_t>(n));
  }
}

void Child::signal(int sig) const {
  if (pid_ > 0 && !reaped()) ::kill(pid_, sig);
}

std::optional<int> Child::wait_for(std::chrono::milliseconds timeout) {
  if (reaped()) return status_;
  pollfd p{pidfd_.get(), POLLIN, 0};
  int ready;
  while ((ready = ::poll(&p, 1, static_cast<int>(timeout.count()))) < 0 && errno == EINTR) {
  }
  if (ready < 0) fail(errno, "poll");
  if (ready == 0) return std::nullopt;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0)
    if (errno != EINTR) fail(errno, "waitpid");
  status_ = status;
  return status_;
}

int Child::wait() {
  return *wait_for(std::chrono::milliseconds(-1));
}

int Child::kill() {
  if (!reaped()) ::kill(group_ ? -pid_ : pid_, SIGKILL);
  return wait();
}

int Child::wait_or_kill(std::chrono::milliseconds grace) {
  if (auto status = wait_for(grace)) return *status;
  return kill();
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status))
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

std::string Child::last_words() {
  std::string all;
  char buf[4096];
  for (ssize_t n;
       stderr_ && all.size() < 65536 && (n = ::read(stderr_.get(), buf, sizeof buf)) > 0;)
    all.append(buf, std::size_t(n));
  std::fwrite(all.data(), 1, all.size(), stderr);
  while (!all.empty() && all.back() == '\n') all.pop_back();
  const auto last = all.rfind('\n');
  return all.substr(last == std::string::npos ? 0 : last + 1);
}

}  // namespace cmbench
