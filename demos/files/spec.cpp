#include "spec.hpp"

#include <stdexcept>
#include <thread>

#include "demo.hpp"

namespace cmbench::demos::files {
namespace {

// The tutorial's text, line after line, cut to `size` bytes.
std::string input_text(std::string_view name, std::size_t size) {
  std::string text;
  for (int line = 1; text.size() < size; ++line)
    text += fmt::format("Hello, World! This is {}, line {}.\n", name, line);
  text.resize(size);
  return text;
}

// "sequential 3.5 s, threads 1.5 s, coroutines 2.1 s: one after another the six file
// operations (0.5 units each) add up; concurrently they overlap, on a lane per file
// (threads) or on the offload pool's threads under one loop thread (coroutines)".
std::string lesson(const std::vector<Run>& runs) {
  std::string times, own_lanes, pool, why;
  for (const auto& r : runs) {
    times += fmt::format("{}{} {}", times.empty() ? "" : ", ", r.model, seconds(r.wall_ns));
    if (r.model == "sequential") {
      why = "one after another the six file operations (0.5 units each) add up";
      continue;
    }
    std::string& group = r.model == "threads" || r.model == "processes" ? own_lanes : pool;
    group += (group.empty() ? "" : ", ") + r.model;
  }
  if (!own_lanes.empty() || !pool.empty()) {
    why += std::string(why.empty() ? "" : "; ") + "concurrently they overlap";
    if (!own_lanes.empty()) why += fmt::format(", on a lane per file ({})", own_lanes);
    if (!pool.empty())
      why += fmt::format("{} on the offload pool's threads under one loop thread ({})",
                         own_lanes.empty() ? "," : " or", pool);
  }
  return times + ": " + why;
}

}  // namespace

std::string output_name(std::string_view input) {
  const std::size_t dot = input.rfind('.');
  return std::string(input.substr(0, dot)) + ".out" + std::string(input.substr(dot));
}

Workdir make_inputs() {
  Workdir dir("files");
  say("working in {}", dir.path().string());
  std::size_t size = 2048;
  for (std::string_view name : inputs) {
    write_whole_file(dir / name, input_text(name, size));
    say("made {} ({} bytes)", name, size);
    size += 1024;
  }
  return dir;
}

std::string read_text(const std::string& path) {
  std::this_thread::sleep_for(units(latency));  // the slow disk
  return read_whole_file(path);
}

void write_text(const std::string& path, std::string_view text) {
  std::this_thread::sleep_for(units(latency));  // the slow disk
  write_whole_file(path, text);
}

std::size_t blocking::process_file(const Workdir& dir, std::string_view name) {
  say("reading {}", name);
  const std::string text = read_text(dir / name);  // open(name).read()
  say("read {} ({} bytes)", name, text.size());
  const std::string out = output_name(name);
  say("writing {}", out);
  write_text(dir / out, upper(text));
  say("wrote {} ({} bytes)", out, text.size());
  return text.size();
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string_view first_line(std::string_view text) {
  return text.substr(0, text.find('\n'));
}

void check_outputs(const Workdir& dir) {
  for (std::string_view name : inputs) {
    const std::string out = output_name(name);
    if (read_whole_file(dir / out) != upper(read_whole_file(dir / name)))
      throw std::runtime_error(fmt::format("{} is not {} upper-cased", out, name));
  }
}

Scenario describe() {
  return {
      .name = "files",
      .title = "Read, upper-case and write three files (0.5 units per file operation)",
      .teaches =
          "A file cannot be waited for the way a socket is: epoll calls a regular file always "
          "ready, and read() blocks the thread for as long as the disk takes. So the "
          "event-driven models hand every file operation to the offload pool's threads "
          "(deferToThread, run_in_executor, gevent's file object, aiofiles over to_thread) and "
          "run other tasks meanwhile; threads and processes give each file a lane of its own. "
          "Each operation waits 0.5 units, as a slow disk would: one after another the six "
          "take 3 units, concurrently the files' reads and writes interleave.",
      .demos = {{"sequential", sequential, "demos/files/sequential.cpp"},
                {"threads", threads, "demos/files/threads.cpp"},
                {"processes", processes, "demos/files/processes.cpp"},
                {"callbacks", callbacks, "demos/files/callbacks.cpp"},
                {"futures", futures, "demos/files/futures.cpp"},
                {"fibers", fibers, "demos/files/fibers.cpp"},
                {"coroutines", coroutines, "demos/files/coroutines.cpp"}},
      .lesson = lesson,
  };
}

}  // namespace cmbench::demos::files
