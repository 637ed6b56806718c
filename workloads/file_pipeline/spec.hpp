// file_pipeline: the aiofiles example, made measurable. M input files of S bytes each are
// written at set-up into a fresh directory on the machine's disk; a run reads every file,
// upper-cases its bytes with the one shared kernel (upper_case) and writes the result to an
// output file of its own. What the models differ in is how they wait for the file system:
// a loop that blocks, a pool of threads that block, forked workers, or an event loop that
// hands each blocking call to a thread pool (Python's async file libraries all do: a
// regular file is always "ready" to epoll). The reference rows are io_uring, where the
// kernel itself does the I/O asynchronously, and libuv's uv_fs_* on its own thread pool.
//
// Parameters: M files of S bytes; cache = warm (the inputs' pages in the page cache, read
// once at set-up) or cold (each input fdatasync'ed at set-up, and its pages dropped with
// posix_fadvise(DONTNEED) before every run); sync = 1 fdatasyncs every output before it
// counts as written; T, the threads (or processes) doing the I/O: the threads model's pool,
// the processes model's workers and the process's offload pool, which the event-driven
// models share (0: the offload pool's default, one per core and at least 2).
//
// What is timed: one run, from the first open to the last output written (and synced, with
// sync = 1). Not timed: writing the inputs (set-up), and what the verifier does after each
// run (Check, untimed by the cell contract): re-reading every output, removing the outputs,
// and, when cold, dropping the inputs' pages again, so that the next run starts as the
// first did.
//
// Result: the run's wall time and the most threads the process had meanwhile (sampled from
// /proc every millisecond). Verified: every output file exists, with the length and the
// checksum of the upper-cased input, read back by the verifier with plain read(2) calls and
// compared with what set-up computed from the generator, not from the kernel.
// Reported beside the time: files/s, MB/s (10^6 bytes of input per second), the process's
// threads, and the I/O workers (T as the model used it; libuv's pool size; io_uring's
// most requests in flight).
//
// A file that cannot be opened, read or written makes the run throw an error naming the
// file (std::system_error, "<path>: <strerror>"), as Python's OSError names its filename:
// the cell fails, never hangs. The directory is removed when the last copy of the
// parameters goes, whether the cell passed or failed.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cells/registry.hpp"
#include "models/core/span.hpp"

namespace cmbench::file_pipeline {

// ---- The kernel ---------------------------------------------------------------------------

// What every model does to a file's bytes: ASCII lower-case letters to upper case, all other
// bytes unchanged. ≈ 0.2 ns per byte: the I/O, not the kernel, is what is measured.
void upper_case(std::span<char> bytes);
inline void upper_case(std::string& bytes) {
  upper_case(std::span<char>(bytes.data(), bytes.size()));
}

// ---- Blocking file calls, as `open(path).read()` and `open(path, "w").write(data)` --------

// The whole file. Throws std::system_error naming the path.
std::string read_file(const std::string& path);
// Creates or truncates the file and writes all of `data`; with `sync`, fdatasyncs it before
// closing. Throws std::system_error naming the path.
void write_file(const std::string& path, std::string_view data, bool sync);

// fdatasync(fd), the file at `path`. Throws std::system_error naming the path.
void sync_file(int fd, const std::string& path);

struct Params;
// One file, start to end, with the calls above: read input i, upper-case it, write output
// i (and sync it when p.sync). Returns when it ran, from before the first open to after
// the last close. What the sequential loop, a thread of the pool and a worker process each
// do per file.
Span process_file(const Params& p, std::size_t i);

// ---- The directory ------------------------------------------------------------------------

// A fresh directory under $TMPDIR (else /var/tmp, which the FHS keeps on disk, unlike /tmp),
// holding in/ and out/; removed with everything in it by the destructor. Refuses a tmpfs
// or ramfs base: file I/O in RAM is not what this workload measures.
class Scratch {
 public:
  Scratch();  // throws std::runtime_error (a tmpfs base, no space, no permission)
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Where Scratch directories go, and the file system type there ("ext4", "tmpfs", ...).
std::string scratch_base();
// A Scratch directory's name: the prefix, the pid of the process that made it, a random
// suffix. A cell killed by a signal (its time limit) cannot remove its directory, so every
// new Scratch first removes those in `base` whose process no longer exists.
inline constexpr const char* scratch_prefix = "cmbench-file_pipeline-";
void sweep_stale_scratch(const std::string& base);
std::string filesystem_type(const std::string& path);

// ---- Threads used -------------------------------------------------------------------------

// Samples the process's thread count (/proc/self/stat) every millisecond on a thread of its
// own, and keeps the highest since the last reset(); its own thread is not counted.
// Allocation-free while sampling, so a fork (the processes model) never finds it holding a
// lock the child needs. Cost: ≈ 10 µs of CPU per millisecond, on another thread.
class ThreadCounter {
 public:
  ThreadCounter();
  ~ThreadCounter();
  void reset();           // starts a new peak, from the count now
  unsigned peak();        // the highest count since reset(), the count now included
  static unsigned now();  // the process's threads now, all of them

 private:
  void sample();
  std::atomic<unsigned> peak_{0};
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;
};

// ---- The workload -------------------------------------------------------------------------

// A file's length and a 64-bit checksum of its bytes.
struct Digest {
  std::uint64_t length = 0;
  std::uint64_t checksum = 0;
  friend bool operator==(const Digest&, const Digest&) = default;
};
Digest digest_of(std::string_view bytes);

struct Params {
  std::size_t files = 0;  // M
  std::size_t size = 0;   // S, bytes per file
  bool cold = false;
  bool sync = false;
  unsigned workers = 0;  // T, resolved: never 0
  std::shared_ptr<const Scratch> dir;
  std::vector<Digest> expected;  // by file number: what its output must digest to
  std::shared_ptr<ThreadCounter> threads;

  std::string input(std::size_t i) const;   // <dir>/in/<i>
  std::string output(std::size_t i) const;  // <dir>/out/<i>
};

// What an implementation returns: per file, in file order, the span from before its input
// was opened to after its output was closed.
using Files = std::vector<Span>;

struct Result {
  Files files;
  std::int64_t wall_ns = 0;
  unsigned threads = 0;  // the most the process had during the run
  unsigned workers = 0;  // the I/O workers as the implementation used them
};

// The bytes of input file i, S long: letters of both cases, digits, spaces and newlines.
std::string input_bytes(std::size_t i, std::size_t size);

Workload describe();
// Makes the directory, writes the inputs and creates the outputs empty (and, when cold,
// drops the inputs' pages).
Params make_params(const ParamValues& v);
// Checks every output, then empties them, and when cold drops the inputs' pages again.
Verdict verify(const Params& p, const Result& r, const ModelInfo& m);

// One function per implementation, in workloads/file_pipeline/<model>.cpp. Each processes
// every file of p and throws on the first error it meets.
Files sequential(const Params& p);
Files threads(const Params& p);
Files processes(const Params& p);
Files callbacks(const Params& p);
Files futures(const Params& p);
Files fibers(const Params& p);
Files coroutines(const Params& p);
// The coroutines program with its files on io_uring (the `-uring` variant).
Files coroutines_uring(const Params& p);
// The reference rows (references/).
Files io_uring(const Params& p);
Files libuv(const Params& p);
// Their I/O workers: the most files in flight on the ring; libuv's pool size (its
// UV_THREADPOOL_SIZE, 4 unless set).
inline constexpr unsigned uring_depth = 32;
unsigned uv_threadpool_size();

// Adds the workload and every implementation's cells to the catalog (workloads/catalog.cpp).
void register_cells(Catalog& catalog);
// The Python rows (python/rows.cpp), added by register_cells.
void register_python(Catalog& catalog);

}  // namespace cmbench::file_pipeline
