// file_pipeline, coroutines-uring: the coroutines program with its files on io_uring
// instead of to_thread. The same tasks, the same gather; every file call is a request on
// one ring (uring::Ring) that the event loop watches like any descriptor, so no call goes
// to a thread pool: what truly asynchronous files give an asyncio-style program.
//
//   fd = await ring.open(src); n = await ring.read(fd, buf); await ring.close(fd)
//   fd = await ring.open(dst, "w"); await ring.write(fd, buf); await ring.close(fd)
//
// The size is known from the set-up, so a read asks for S + 1 bytes once, as the io_uring
// reference row does. At most uring_depth files are in flight (`async with sem:` on a
// Semaphore), as in the reference: so the ring's completion queue, twice its 64 entries,
// can never fill, which the loop's watcher would not notice (completions that overflow
// it wait in the kernel until the next io_uring_enter, and the descriptor stays quiet).
#include <fcntl.h>

#include <memory>

#include "file_pipeline/spec.hpp"
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/gather.hpp"
#include "models/coroutines/semaphore.hpp"
#include "models/coroutines/uring_files.hpp"

namespace cmbench::file_pipeline {
namespace {

using coroutines::Task;
using coroutines::uring::Ring;

Task<Span> pipe_file(Ring& ring, coroutines::Semaphore& sem, const Params& p, std::size_t i) {
  auto held = co_await sem.hold();
  const std::int64_t start = monotonic_ns();
  const std::string src = p.input(i), dst = p.output(i);
  auto data = std::make_shared<std::string>(p.size + 1, '\0');
  int fd = co_await ring.open(src, O_RDONLY);
  const int n = co_await ring.read(fd, data, 0, src);
  co_await ring.close(fd, src);
  data->resize(static_cast<std::size_t>(n));
  upper_case(*data);
  fd = co_await ring.open(dst, O_WRONLY | O_CREAT | O_TRUNC);
  for (std::size_t done = 0; done < data->size();)
    done += static_cast<std::size_t>(co_await ring.write(fd, data, done, dst));
  if (p.sync) co_await ring.fdatasync(fd, dst);
  co_await ring.close(fd, dst);
  co_return Span{start, monotonic_ns()};
}

Task<Files> pipe_all(const Params& p) {
  Ring ring(2 * uring_depth);
  coroutines::Semaphore sem(uring_depth);
  std::vector<Task<Span>> files;
  files.reserve(p.files);
  for (std::size_t i = 0; i < p.files; ++i) files.push_back(pipe_file(ring, sem, p, i));
  // Every file to its end, failed or not, before the ring goes: then the first failure.
  auto outcomes = co_await coroutines::gather(coroutines::return_exceptions, std::move(files));
  Files spans;
  spans.reserve(outcomes.size());
  for (auto& outcome : outcomes) spans.push_back(outcome.value());
  co_return spans;
}

}  // namespace

Files coroutines_uring(const Params& p) {
  return coroutines::run(pipe_all(p));
}

}  // namespace cmbench::file_pipeline
