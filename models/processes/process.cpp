// The non-template half of processes: descriptors, pipe I/O, fork, wait and ChildError.
#include "models/processes/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <system_error>

namespace cmbench::processes {

namespace {
[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::system_category(), what);
}
}  // namespace

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe2");
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) throw_errno("fcntl");
}

std::size_t read_full(int fd, void* buffer, std::size_t size) {
  auto* bytes = static_cast<char*>(buffer);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, bytes + done, size - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n == 0) {
      break;  // EOF: every write end is closed
    } else if (errno != EINTR) {
      throw_errno("read");
    }
  }
  return done;
}

std::string read_to_end(int fd) {
  std::string data;
  char chunk[4096];
  for (;;) {
    const std::size_t n = read_full(fd, chunk, sizeof chunk);
    data.append(chunk, n);
    if (n < sizeof chunk) return data;
  }
}

void write_all(int fd, const void* buffer, std::size_t size) {
  const auto* bytes = static_cast<const char*>(buffer);
  while (size > 0) {
    const ssize_t n = ::write(fd, bytes, size);
    if (n >= 0) {
      bytes += n;
      size -= static_cast<std::size_t>(n);
    } else if (errno != EINTR) {
      throw_errno("write");
    }
  }
}

ChildError ChildError::raised(pid_t pid, std::string_view text) {
  return {pid, "child " + std::to_string(pid) + ": " + std::string(text)};
}

ChildError ChildError::ended(pid_t pid, int wait_status) {
  std::string what =
      "child " + std::to_string(pid) + " " + detail::describe_wait_status(wait_status);
  if (WIFEXITED(wait_status)) what += " without a result";
  return {pid, what};
}

namespace detail {

pid_t fork_child() {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid > 0) trace::forked(pid);
  return pid;
}

trace::TaskId trace_child_created() noexcept {
  if (!trace::on()) [[likely]]
    return 0;
  const trace::TaskId task = trace::fresh_id();
  trace::created(task);
  return task;
}

void trace_child_started(trace::TaskId task, std::string_view lane) noexcept {
  if (!task) return;
  trace::start_in_child();
  try {
    const std::string name =
        lane.empty() ? "process " + std::to_string(::getpid()) : std::string(lane);
    trace::name_thread(name);  // not a loop's lane, whatever the parent's thread was
    trace::named(task, trace::intern(name));
  } catch (...) {
  }
  trace::resumed(task);
}

void trace_child_finished(int fd, trace::TaskId task, trace::Outcome outcome,
                          bool trailer) noexcept {
  if (!task) return;
  trace::finished(task, outcome);
  std::uint64_t size = 0;
  try {
    const std::string events = trace::export_child();
    write_all(fd, events.data(), events.size());
    size = events.size();
  } catch (...) {
    size = 0;  // the pipe failed: the parent is gone, or gets an empty export
  }
  if (trailer) {
    try {
      write_all(fd, &size, sizeof size);
    } catch (...) {
    }
  }
}

std::string read_until_eof(int fd, std::chrono::steady_clock::time_point deadline) {
  std::string data;
  char chunk[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return data;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return data;
    const ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got == 0) return data;
    if (got < 0 && errno != EINTR) return data;
    if (got > 0) data.append(chunk, static_cast<std::size_t>(got));
  }
}

std::string take_child_trace(std::string& message) {
  std::uint64_t size = 0;
  if (message.size() < sizeof size) return {};
  std::memcpy(&size, message.data() + message.size() - sizeof size, sizeof size);
  if (size > message.size() - sizeof size) return {};  // no trailer: the child died first
  const std::size_t start = message.size() - sizeof size - size;
  std::string events = message.substr(start, size);
  message.resize(start);
  return events;
}

void exit_child(int code) noexcept {
  std::fflush(nullptr);
  ::_exit(code);
}

std::string current_exception_text() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("waitpid");
  }
  trace::reaped(pid);
  return status;
}

void kill_and_reap(pid_t pid) noexcept {
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  trace::reaped(pid);
}

std::string describe_wait_status(int wait_status) {
  if (WIFEXITED(wait_status))
    return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    const int sig = WTERMSIG(wait_status);
    // sigdescr_np, unlike strsignal, is thread-safe and never localised.
    const char* name = ::sigdescr_np(sig);
    return "killed by signal " + std::to_string(sig) + " (" + (name ? name : "unknown") + ")";
  }
  return "in unexpected wait status " + std::to_string(wait_status);
}

}  // namespace detail

}  // namespace cmbench::processes
