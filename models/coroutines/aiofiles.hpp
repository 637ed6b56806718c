// aiofiles: files for asyncio programs, as the aiofiles package gives them. Every call on
// the file runs on the loop's offload pool with to_thread, and the task awaits it; the loop
// runs other tasks meanwhile. asyncio itself has no file I/O: a regular file is always
// "ready" to epoll (which refuses to watch one), so the only way not to stall the loop on
// the disk is a thread, and aiofiles is that thread pool with a file's face.
//
//   // async with aiofiles.open(path, "r") as f:
//   //     data = await f.read()
//   auto f = co_await aiofiles::open(path, "r");
//   std::string data = co_await f.read();
//   co_await f.close();
//
// C++ has no `async with`: close() is the block's end, awaited on the pool as aiofiles'
// __aexit__ is; a file not closed that way (the task raised, or was cancelled) is closed
// by the destructor, on the loop thread, as close(2) of a regular file does not wait for
// the disk. Modes: "r", "w", "a", each with an optional "b" (bytes are bytes here).
//
// Guarantees: each call opens, reads or writes on a pool thread and raises there what it
// raised, as std::system_error whose what() names the path ("<path>: No such file or
// directory"), as Python's OSError names its filename. A call whose task is cancelled runs
// to its end on its thread (to_thread's rule); the descriptor stays open until it has, so
// its number is never reused under it. Not guaranteed: any order between two calls on one
// file that are in flight at once (await each before the next, as aiofiles users do).
// Cost: per call, a coroutine frame and a round trip to a pool thread (≈ 10–40 µs here).
// Thread-safety: an AsyncFile belongs to its task, on the loop thread.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "models/core/fd.hpp"
#include "models/coroutines/task.hpp"
#include "models/coroutines/to_thread.hpp"

namespace cmbench::coroutines::aiofiles {

class AsyncFile {
 public:
  // The rest of the file (f.read()).
  Task<std::string> read() {
    auto work = [file = file_] {
      // As Python's readall: a first read sized by fstat (one byte more, to see the end),
      // then on in chunks until read(2) says end of file.
      struct stat st {};
      std::size_t want = ::fstat(file->fd.get(), &st) == 0 ? std::size_t(st.st_size) + 1 : chunk;
      std::string data;
      for (;;) {
        const std::size_t have = data.size();
        data.resize(have + want);
        const ssize_t n = ::read(file->fd.get(), data.data() + have, want);
        const int error = errno;
        data.resize(have + (n > 0 ? std::size_t(n) : 0));
        if (n == 0) return data;
        if (n < 0 && error != EINTR) file->raise(error);
        want = chunk;
      }
    };
    co_return co_await to_thread(work);
  }

  // All of `data` (f.write(data)).
  Task<void> write(std::string data) {
    auto work = [file = file_, data = std::move(data)] {
      std::size_t done = 0;
      while (done < data.size()) {
        ssize_t n = ::write(file->fd.get(), data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) file->raise(errno);
        done += static_cast<std::size_t>(n);
      }
    };
    co_await to_thread(work);
  }

  // The end of `async with`: the descriptor is closed on a pool thread (once no call in
  // flight still uses it).
  Task<void> close() {
    auto work = [file = std::move(file_)]() mutable { file.reset(); };
    co_await to_thread(work);
  }

  // `await asyncio.to_thread(os.fdatasync, f.fileno())`, which aiofiles does not wrap: the
  // file's data on the disk. Unlike a bare descriptor handed to to_thread, the call holds
  // the file open until it returns, even if its task is cancelled meanwhile.
  Task<void> fdatasync() {
    auto work = [file = file_] {
      if (::fdatasync(file->fd.get()) < 0) file->raise(errno);
    };
    co_await to_thread(work);
  }

  int fileno() const { return file_ ? file_->fd.get() : -1; }
  const std::string& name() const { return file_->path; }

 private:
  friend Task<AsyncFile> open(std::string path, std::string_view mode);
  static constexpr std::size_t chunk = 64 * 1024;

  // Shared by the file and the calls in flight on it: the last to let go closes it.
  struct Open {
    Fd fd;
    std::string path;
    [[noreturn]] void raise(int error) const {
      throw std::system_error(error, std::generic_category(), path);
    }
  };
  explicit AsyncFile(std::shared_ptr<Open> file) : file_(std::move(file)) {}
  std::shared_ptr<Open> file_;
};

// aiofiles.open(path, mode): opens on a pool thread. Throws std::invalid_argument for a
// mode it does not know, std::system_error naming the path if open(2) fails.
inline Task<AsyncFile> open(std::string path, std::string_view mode) {
  int flags = 0;
  std::string_view m = mode;
  if (m.ends_with('b')) m.remove_suffix(1);
  if (m == "r")
    flags = O_RDONLY;
  else if (m == "w")
    flags = O_WRONLY | O_CREAT | O_TRUNC;
  else if (m == "a")
    flags = O_WRONLY | O_CREAT | O_APPEND;
  else
    throw std::invalid_argument("aiofiles::open: mode '" + std::string(mode) + "'");
  auto work = [path = std::move(path), flags] {
    auto file = std::make_shared<AsyncFile::Open>();
    file->path = path;
    file->fd = Fd(::open(path.c_str(), flags | O_CLOEXEC, 0644));
    if (!file->fd) file->raise(errno);
    return file;
  };
  co_return AsyncFile(co_await to_thread(work));
}

}  // namespace cmbench::coroutines::aiofiles
