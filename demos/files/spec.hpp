// files: the tutorials' aiofiles example. Three input files of a few KiB (a.txt, b.txt,
// c.txt) are made in a fresh temporary directory; each is read, upper-cased and written
// out (a.txt → a.out.txt); one output is read back; the directory is removed at the end,
// however the demo ends.
//
// A disk read from the page cache takes microseconds: too short to see on a timeline. So
// each file operation of the demo (read_text, write_text below) first waits `latency`
// (0.5 unit), as a slow disk or a network filesystem would, inside the blocking function,
// on whatever thread runs it. Making the inputs is set-up, without that latency. The fibers
// demo uses gevent's own file object, whose offloaded calls are the library's: there the
// latency is a gevent.sleep before each call, which parks the greenlet as the offloaded
// call does but holds no pool thread.
//
// Files are never "ready" or "not ready" to epoll: a regular file always reads as ready,
// and read(2) on it blocks the calling thread however long the disk takes. So no event
// loop can wait for a file the way it waits for a socket: every event-driven model hands
// each file operation to a thread of the process's offload pool (deferToThread,
// run_in_executor, gevent's threadpool-backed FileObjectThread, asyncio.to_thread under
// aiofiles) and goes on with other work meanwhile. That pool has max(2, cores) threads,
// so at most that many operations overlap there; threads and processes give each file a
// lane of its own.
//
// Every model's demo says, for each input f (a.txt …) and its output o (a.out.txt …):
//   "reading f" as the read starts, "read f (N bytes)" when it is done,
//   "writing o" as the write starts, "wrote o (N bytes)" when it is done;
// then, after all three, reads a.out.txt back and says "a.out.txt begins: <first line>",
// checks every output against its input (check_outputs: throws if one differs) and says
// "total T s". The set-up says "working in <dir>" and "made f (N bytes)" for each input.
// What the output must show (tests/demos/files_test.cpp):
//  - every model: the outputs are exactly the upper-cased inputs, the directory is gone;
//  - sequential: each file's four lines before the next file's first;
//  - every concurrent model: the three reads start before any read ends (the files'
//    operations interleave).
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "scenario.hpp"
#include "workdir.hpp"

namespace cmbench::demos::files {

// The inputs, as the tutorial's `files` list. string_views of literals: trivially
// copyable, and valid in a forked child (the same address there), so a process Pool can
// map over them.
inline constexpr std::array<std::string_view, 3> inputs = {"a.txt", "b.txt", "c.txt"};

// The simulated disk latency of each file operation, in units.
inline constexpr double latency = 0.5;

// "a.txt" → "a.out.txt".
std::string output_name(std::string_view input);

// A fresh directory holding the three inputs (2, 3 and 4 KiB of text); says "working in
// <dir>" and "made a.txt (2048 bytes)" … Removed with everything in it when it goes.
Workdir make_inputs();

// The blocking file calls every model makes, each `latency` long before it touches the
// disk. Throw std::system_error naming the file when the system refuses.
std::string read_text(const std::string& path);
void write_text(const std::string& path, std::string_view text);

// The blocking version of the work for one file, which sequential, threads and processes
// share (they differ only in who calls it: one loop, a thread per file, a pool's workers):
// says "reading a.txt", reads it, says "read a.txt (N bytes)", says "writing a.out.txt",
// writes it upper-cased, says "wrote a.out.txt (N bytes)". Returns N.
namespace blocking {
std::size_t process_file(const Workdir& dir, std::string_view name);
}

// The processing: the text in capitals (ASCII).
std::string upper(std::string_view text);

// The first line of a text, for the read-back line.
std::string_view first_line(std::string_view text);

// Throws std::runtime_error naming the file unless every output in `dir` is exactly its
// input upper-cased.
void check_outputs(const Workdir& dir);

Scenario describe();

// One demo per model, in demos/files/<model>.cpp.
void sequential();
void threads();
void processes();
void callbacks();
void futures();
void fibers();
void coroutines();

}  // namespace cmbench::demos::files
