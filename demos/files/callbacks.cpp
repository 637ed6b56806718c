// files, callbacks: Twisted has no asynchronous files, so a Twisted program hands each
// blocking file call to the reactor's thread pool with deferToThread and goes on: the
// Deferred fires back on the reactor thread with what the call returned. A file's steps
// are a chain of callbacks (read → upper-case and write → report); gatherResults waits
// for the three chains, which run interleaved on the one reactor thread while the pool's
// threads do the reading and writing.
#include "demo.hpp"
#include "models/callbacks/deferred_list.hpp"
#include "models/callbacks/reactor.hpp"
#include "spec.hpp"

namespace cmbench::demos::files {

namespace {

using namespace cmbench::callbacks;  // from twisted.internet import ...
using cmbench::callbacks::Reactor;

Deferred<std::size_t> process_file(Reactor& reactor, const Workdir& dir, std::string_view name) {
  say("reading {}", name);
  return reactor.defer_to_thread(read_text, dir / name)
      .add_callback([&reactor, &dir, name](const std::string& text) {
        say("read {} ({} bytes)", name, text.size());
        const std::string out = output_name(name);
        say("writing {}", out);
        return reactor.defer_to_thread(write_text, dir / out, upper(text))
            .add_callback([out, size = text.size()] {
              say("wrote {} ({} bytes)", out, size);
              return size;
            });
      });
}

}  // namespace

void callbacks() {
  const Workdir dir = make_inputs();
  const std::string first = output_name(inputs[0]);
  react([&](Reactor& reactor) {
    std::vector<Deferred<std::size_t>> files;
    for (std::string_view name : inputs) files.push_back(process_file(reactor, dir, name));
    return gather_results(std::move(files))
        .add_callback([&](const std::vector<std::size_t>&) {
          return reactor.defer_to_thread(read_text, dir / first);
        })
        .add_callback(
            [&](const std::string& text) { say("{} begins: {}", first, first_line(text)); });
  });
  check_outputs(dir);
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::files
