// The non-template half of processes: descriptors, pipe I/O, fork, wait and ChildError.
#include "models/processes/process.hpp"

#include <fcntl.h>
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
  return pid;
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
  return status;
}

void kill_and_reap(pid_t pid) noexcept {
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
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
