// files, futures: Tornado has no asynchronous files either; its answer is
// IOLoop.run_in_executor, which runs a blocking call on the loop's thread pool and returns
// a Future that resolves on the loop thread. A file's steps are continuations chained with
// `then` (a continuation that returns a Future waits for it); multi() waits for the three
// files, and run_sync runs the IOLoop until it resolves. One loop thread, taking turns,
// while the pool's threads read and write.
#include "demo.hpp"
#include "models/futures/io_loop.hpp"
#include "models/futures/multi.hpp"
#include "spec.hpp"

namespace cmbench::demos::files {

namespace {

using cmbench::futures::Future;
using cmbench::futures::IOLoop;

Future<std::size_t> process_file(const Workdir& dir, std::string_view name) {
  say("reading {}", name);
  IOLoop& loop = IOLoop::current();
  return loop.run_in_executor([path = dir / name] { return read_text(path); })
      .then([&loop, &dir, name](const std::string& text) {
        say("read {} ({} bytes)", name, text.size());
        const std::string out = output_name(name);
        say("writing {}", out);
        return loop
            .run_in_executor([path = dir / out, upper = upper(text)] { write_text(path, upper); })
            .then([out, size = text.size()] {
              say("wrote {} ({} bytes)", out, size);
              return size;
            });
      });
}

}  // namespace

void futures() {
  const Workdir dir = make_inputs();
  const std::string first = output_name(inputs[0]);
  IOLoop::current().run_sync([&] {
    std::vector<Future<std::size_t>> files;
    for (std::string_view name : inputs) files.push_back(process_file(dir, name));
    return cmbench::futures::multi(std::move(files))
        .then([&](const std::vector<std::size_t>&) {
          return IOLoop::current().run_in_executor(
              [path = dir / first] { return read_text(path); });
        })
        .then([&](const std::string& text) { say("{} begins: {}", first, first_line(text)); });
  });
  check_outputs(dir);
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::files
