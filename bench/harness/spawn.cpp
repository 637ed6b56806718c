#include "spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>
#include <thread>

namespace cmbench {
namespace fs = std::filesystem;

Spawned spawn_and_wait(const std::vector<std::string>& argv, const fs::path& log, double limit,
                       const std::function<bool()>& tick) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + log.string());
  Spawned s;
  s.pid = fork();
  if (s.pid < 0) {
    ::close(fd);
    throw std::system_error(errno, std::generic_category(), "fork");
  }
  if (s.pid == 0) {
    setpgid(0, 0);  // its own group: a timeout kills the cell and everything it forked
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    execv(args[0], args.data());
    dprintf(STDERR_FILENO, "exec %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  ::close(fd);
  setpgid(s.pid, s.pid);  // also here, so a kill below cannot race the child's own setpgid
  auto t0 = std::chrono::steady_clock::now();
  while (true) {
    pid_t r = waitpid(s.pid, &s.status, WNOHANG);
    if (r == s.pid) return s;
    if (r < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitpid");
    const bool stop = tick();
    if (stop ||
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > limit) {
      s.timed_out = !stop;
      s.stopped = stop;
      kill(-s.pid, SIGKILL);
      while (waitpid(s.pid, &s.status, 0) < 0 && errno == EINTR) {
      }
      return s;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status))
    return fmt::format("killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return fmt::format("exited with status {}", WEXITSTATUS(status));
}

}  // namespace cmbench
