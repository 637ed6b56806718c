// Workdir: a fresh directory for a demo's files, made under the system's temporary
// directory ($TMPDIR, else /tmp) with mkdtemp, and removed with everything in it when the
// object goes, however the demo ends (its result, an exception).
//
//   Workdir dir("files");      // /tmp/cmbench-files-a1B2c3
//   write(dir / "a.txt", ...);
//
// Guarantees: the directory is new (mkdtemp: mode 0700, a name nobody else holds); removal
// never throws (a failure to remove is reported on stderr). A forked child that inherits
// the object never removes it: children end with _exit (models/processes), which runs no
// destructor. Throws std::system_error naming the path when the directory cannot be made.
#pragma once

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include <fmt/core.h>

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

}  // namespace cmbench::demos
