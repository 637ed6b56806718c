// Workdir: a fresh directory for a demo's files, made under the system's temporary
// directory ($TMPDIR, else /tmp) with mkdtemp, and removed with everything in it when the
// object goes, however the demo ends (its result, an exception).
//
//   Workdir dir("files");      // /tmp/cmbench-files-a1B2c3
//   write(dir / "a.txt", ...);
//
// read_whole_file and write_whole_file, below, are the plain blocking calls a demo's set-up
// and checks use (the demos' own file operations are in each model's idiom).
//
// Guarantees: the directory is new (mkdtemp: mode 0700, a name nobody else holds); removal
// never throws (a failure to remove is reported on stderr). A forked child that inherits
// the object never removes it: children end with _exit (models/processes), which runs no
// destructor. Throws std::system_error naming the path when the directory cannot be made.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/core.h>

#include "models/core/fd.hpp"

namespace cmbench::demos {

class Workdir {
 public:
  explicit Workdir(const std::string& name) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / ("cmbench-" + name + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
    path_ = pattern;
  }
  Workdir(Workdir&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  ~Workdir() {
    if (path_.empty()) return;  // moved from
    std::error_code error;
    std::filesystem::remove_all(path_, error);
    if (error) fmt::print(stderr, "could not remove {}: {}\n", path_.string(), error.message());
  }
  Workdir(const Workdir&) = delete;
  Workdir& operator=(const Workdir&) = delete;
  Workdir& operator=(Workdir&&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::string operator/(std::string_view file) const { return (path_ / file).string(); }

 private:
  std::filesystem::path path_;
};

// The whole file; the whole of `text` into a file created or truncated. Throw
// std::system_error naming the call and the path.
inline std::string read_whole_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw std::system_error(errno, std::generic_category(), "open " + path);
  std::string text;
  char chunk[16 * 1024];
  for (;;) {
    ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::system_error(errno, std::generic_category(), "read " + path);
    if (n == 0) return text;
    text.append(chunk, static_cast<std::size_t>(n));
  }
}

inline void write_whole_file(const std::string& path, std::string_view text) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) throw std::system_error(errno, std::generic_category(), "open " + path);
  while (!text.empty()) {
    ssize_t n = ::write(fd.get(), text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::system_error(errno, std::generic_category(), "write " + path);
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace cmbench::demos
