// files, coroutines: the tutorial's aiofiles version. aiofiles wraps each blocking file
// call in the loop's default executor; here that is asyncio.to_thread, awaited where the
// tutorial writes `async with aiofiles.open(...)` / `await f.read()`. While a pool thread
// reads or writes, the task gives the loop back, and gather() runs the three files'
// tasks interleaved on one thread.
#include "demo.hpp"
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/gather.hpp"
#include "models/coroutines/to_thread.hpp"
#include "spec.hpp"

namespace cmbench::demos::files {

namespace {

namespace asyncio = cmbench::coroutines;

// aiofiles.open(path).read() and .write(text): the call runs on a pool thread. The
// lambdas own their path and text: a cancelled await leaves the call running (to_thread.hpp).
// Each awaitable is a named local, not a temporary inside the co_await: g++ 12 destroys a
// temporary that owns a std::string twice when the expression suspends.
asyncio::Task<std::string> read_file(std::string path) {
  auto read = asyncio::to_thread([path] { return read_text(path); });
  std::string text = co_await read;
  co_return text;
}
asyncio::Task<void> write_file(std::string path, std::string text) {
  auto write = asyncio::to_thread([path, text = std::move(text)] { write_text(path, text); });
  co_await write;
}

asyncio::Task<void> process_file(const Workdir& dir, std::string_view name) {
  say("reading {}", name);
  const std::string text = co_await read_file(dir / name);
  say("read {} ({} bytes)", name, text.size());
  const std::string out = output_name(name);
  say("writing {}", out);
  co_await write_file(dir / out, upper(text));
  say("wrote {} ({} bytes)", out, text.size());
}

asyncio::Task<void> main_task(const Workdir& dir) {
  std::vector<asyncio::Task<void>> files;
  for (std::string_view name : inputs) files.push_back(process_file(dir, name));
  co_await asyncio::gather(std::move(files));
  const std::string first = output_name(inputs[0]);
  say("{} begins: {}", first, first_line(co_await read_file(dir / first)));
}

}  // namespace

void coroutines() {
  const Workdir dir = make_inputs();
  asyncio::run(main_task(dir));
  check_outputs(dir);
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::files
