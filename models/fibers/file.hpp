// Files whose reads and writes look blocking: each call runs on the process's offload
// pool (gevent's FileObjectThread) while the greenlet parks, because a regular file is
// always "ready" to epoll and a read from a cold disk would stall the whole hub.
//
//   fibers::File f = fibers::File::open(path, O_RDONLY);
//   std::size_t n = f.read(buf);                 // parks; other greenlets run
//   std::string all = fibers::read_file(path);   // the whole file
//
// The pool thread reads into and writes from a buffer of its own, so a greenlet killed
// mid-read abandons the call safely: the call completes, its result is dropped. Errors
// raise std::system_error with the errno. Needs the hub.
#pragma once

#include <fcntl.h>
#include <sys/types.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "models/core/fd.hpp"

namespace cmbench::fibers {

class File {
 public:
  File() = default;
  // open(2) with `flags` (O_CLOEXEC is added).
  static File open(const std::string& path, int flags, mode_t mode = 0644);

  // Bytes read into `into` (0 at end of file).
  std::size_t read(std::span<std::byte> into);
  // Writes all of `from`.
  void write(std::span<const std::byte> from);
  void write(std::string_view s) { write(std::as_bytes(std::span(s.data(), s.size()))); }
  void close() noexcept { fd_.reset(); }
  int fileno() const noexcept { return fd_.get(); }

 private:
  explicit File(Fd fd) : fd_(std::move(fd)) {}
  Fd fd_;
};

// The whole file; the whole of `data` into a file created or truncated.
std::string read_file(const std::string& path);
void write_file(const std::string& path, std::string_view data);

}  // namespace cmbench::fibers
