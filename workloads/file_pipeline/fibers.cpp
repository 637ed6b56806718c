// file_pipeline, fibers: gevent's way. A greenlet per file, joined with joinall; each opens
// its files through gevent's thread-pool file object (FileObjectThread, fibers::File here),
// whose every read and write runs on the hub's thread pool while the greenlet parks, and
// fdatasync goes through threadpool.apply, as os.fdatasync would in gevent.
//
// Why not a plain open() after monkey.patch_all(): patching makes sockets cooperative by
// waiting for readiness in the hub's epoll, and a regular file is never "not ready" (epoll
// refuses to watch one at all, EPERM; read(2) on it never says EAGAIN). So a plain read of
// a file blocks the hub, and every greenlet with it, for as long as the disk takes; gevent
// leaves files unpatched and offers the thread-pool file object instead.
//
// fibers::File's errors carry the call and the errno; they are raised again here with the
// file's path, as Python's OSError names its filename.
#include <fcntl.h>

#include <system_error>

#include "file_pipeline/spec.hpp"
#include "models/fibers/fibers.hpp"
#include "models/fibers/file.hpp"
#include "models/fibers/threadpool.hpp"

namespace cmbench::file_pipeline {
namespace {

Span pipe_file(const Params& p, std::size_t i) {
  const std::int64_t start = monotonic_ns();
  const std::string src = p.input(i), dst = p.output(i);
  std::string data;
  try {
    data = fibers::read_file(src);  // with open(src) as f: data = f.read()
  } catch (const std::system_error& e) {
    throw std::system_error(e.code(), src);
  }
  upper_case(data);
  try {
    fibers::File out = fibers::File::open(dst, O_WRONLY | O_CREAT | O_TRUNC);
    out.write(data);
    if (p.sync) fibers::threadpool::apply([fd = out.fileno(), dst] { sync_file(fd, dst); });
  } catch (const std::system_error& e) {
    throw std::system_error(e.code(), dst);
  }
  return {start, monotonic_ns()};
}

}  // namespace

Files fibers(const Params& p) {
  return fibers::run([&p] {
    std::vector<fibers::Greenlet<Span>> jobs;
    jobs.reserve(p.files);
    for (std::size_t i = 0; i < p.files; ++i)
      jobs.push_back(fibers::spawn([&p, i] { return pipe_file(p, i); }));
    fibers::joinall(jobs);
    Files files;
    for (auto& job : jobs) files.push_back(job.get());  // raises the first failure, in order
    return files;
  });
}

}  // namespace cmbench::file_pipeline
