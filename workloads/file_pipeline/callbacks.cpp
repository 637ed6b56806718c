// file_pipeline, callbacks: Twisted has no asynchronous files, so a Twisted program sends
// each blocking file call to the reactor's thread pool with deferToThread and chains what
// follows as a callback:
//
//   d = deferToThread(read, src)
//   d.addCallback(lambda data: deferToThread(write, dst, data.upper()))
//
// Two hand-offs per file (three calls on the pool with sync: the write includes it), and
// the upper-casing runs on the reactor thread between them. gatherResults waits for every
// file's chain and fails with the first failure, which react() raises.
#include "file_pipeline/spec.hpp"
#include "models/callbacks/deferred_list.hpp"
#include "models/callbacks/reactor.hpp"

namespace cmbench::file_pipeline {
namespace {

using callbacks::Deferred;
using callbacks::Reactor;

Deferred<Span> pipe_file(Reactor& reactor, const Params& p, std::size_t i) {
  const std::int64_t start = monotonic_ns();
  return reactor.defer_to_thread(read_file, p.input(i))
      .add_callback([&reactor, &p, i](std::string data) {
        upper_case(data);
        return reactor.defer_to_thread(write_file, p.output(i), std::move(data), p.sync);
      })
      .add_callback([start] {
        return Span{start, monotonic_ns()};
      });
}

}  // namespace

Files callbacks(const Params& p) {
  return callbacks::react([&p](Reactor& reactor) {
    std::vector<Deferred<Span>> files;
    files.reserve(p.files);
    for (std::size_t i = 0; i < p.files; ++i) files.push_back(pipe_file(reactor, p, i));
    return callbacks::gather_results(std::move(files));
  });
}

}  // namespace cmbench::file_pipeline
