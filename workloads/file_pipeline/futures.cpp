// file_pipeline, futures: Tornado's way with blocking calls, IOLoop.run_in_executor, whose
// futures chain with `then`:
//
//   data = await IOLoop.current().run_in_executor(None, read, src)
//   await IOLoop.current().run_in_executor(None, write, dst, data.upper())
//
// Two trips to the executor per file (the offload pool), the upper-casing on the loop
// between them; multi() gathers the M futures in file order and fails with the first
// failure, which run_sync raises.
#include "file_pipeline/spec.hpp"
#include "models/futures/io_loop.hpp"
#include "models/futures/multi.hpp"

namespace cmbench::file_pipeline {
namespace {

using futures::Future;
using futures::IOLoop;

Future<Span> pipe_file(IOLoop& loop, const Params& p, std::size_t i) {
  const std::int64_t start = monotonic_ns();
  return loop.run_in_executor([path = p.input(i)] { return read_file(path); })
      .then([&loop, &p, i](std::string& data) {
        upper_case(data);
        return loop.run_in_executor([path = p.output(i), data = std::move(data), sync = p.sync] {
          write_file(path, data, sync);
        });
      })
      .then([start] {
        return Span{start, monotonic_ns()};
      });
}

}  // namespace

Files futures(const Params& p) {
  IOLoop& loop = IOLoop::current();
  return loop.run_sync([&] {
    std::vector<Future<Span>> files;
    files.reserve(p.files);
    for (std::size_t i = 0; i < p.files; ++i) files.push_back(pipe_file(loop, p, i));
    return futures::multi(std::move(files));
  });
}

}  // namespace cmbench::file_pipeline
