// file_pipeline, coroutines: the aiofiles example. One task per file, gathered:
//
//   async def pipe_file(src, dst):
//       async with aiofiles.open(src) as f:
//           data = await f.read()
//       async with aiofiles.open(dst, "w") as f:
//           await f.write(data.upper())
//           await asyncio.to_thread(os.fdatasync, f.fileno())   # sync=1: f.fdatasync()
//
//   await asyncio.gather(*(pipe_file(src, dst) for src, dst in files))
//
// Every `await` on the file is a trip to the loop's thread pool (to_thread): open, read and
// close for the input, open, write (fdatasync) and close for the output, six or seven per
// file, each a hand-off and a wake-up of the loop. The upper-casing runs on the loop. gather
// raises the first failure; run() then cancels the tasks still running, whose calls in
// flight finish on their threads.
#include "file_pipeline/spec.hpp"
#include "models/coroutines/aiofiles.hpp"
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/gather.hpp"

namespace cmbench::file_pipeline {
namespace {

using coroutines::Task;
namespace aiofiles = coroutines::aiofiles;

Task<Span> pipe_file(const Params& p, std::size_t i) {
  const std::int64_t start = monotonic_ns();
  std::string data;
  {
    auto f = co_await aiofiles::open(p.input(i), "r");
    data = co_await f.read();
    co_await f.close();
  }
  upper_case(data);
  auto f = co_await aiofiles::open(p.output(i), "w");
  co_await f.write(std::move(data));
  if (p.sync) co_await f.fdatasync();
  co_await f.close();
  co_return Span{start, monotonic_ns()};
}

Task<Files> pipe_all(const Params& p) {
  std::vector<Task<Span>> files;
  files.reserve(p.files);
  for (std::size_t i = 0; i < p.files; ++i) files.push_back(pipe_file(p, i));
  co_return co_await coroutines::gather(std::move(files));
}

}  // namespace

Files coroutines(const Params& p) {
  return coroutines::run(pipe_all(p));
}

}  // namespace cmbench::file_pipeline
