// files, fibers: gevent's version. A plain open()/read() on a file never yields to the
// hub: epoll calls a regular file always ready, so monkey-patching cannot make it wait,
// and a slow disk would stall every greenlet. gevent's answer is its threadpool-backed
// file object (FileObjectThread): each call runs on a pool thread while the greenlet
// parks, and the code still reads as if it blocked. spawn a greenlet per file, joinall.
// The disk's 0.5-unit latency is a gevent.sleep before each call here (spec.hpp): the
// file object's offloaded calls are the library's own.
#include "models/fibers/fibers.hpp"
#include "demo.hpp"
#include "spec.hpp"

namespace cmbench::demos::files {

namespace {

namespace gevent = cmbench::fibers;

void process_file(const Workdir& dir, std::string_view name) {
  say("reading {}", name);
  gevent::sleep(units(latency));                           // the slow disk
  const std::string text = gevent::read_file(dir / name);  // FileObjectThread: parks
  say("read {} ({} bytes)", name, text.size());
  const std::string out = output_name(name);
  say("writing {}", out);
  gevent::sleep(units(latency));
  gevent::write_file(dir / out, upper(text));
  say("wrote {} ({} bytes)", out, text.size());
}

}  // namespace

void fibers() {
  const Workdir dir = make_inputs();
  gevent::run([&] {
    std::vector<gevent::Greenlet<void>> files;
    for (std::string_view name : inputs)
      files.push_back(gevent::spawn([&dir, name] { process_file(dir, name); }));
    gevent::joinall(files);
    for (auto& file : files) file.get();  // a greenlet's exception is raised here
    const std::string first = output_name(inputs[0]);
    gevent::sleep(units(latency));
    say("{} begins: {}", first, first_line(gevent::read_file(dir / first)));
  });
  check_outputs(dir);
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::files
