#include "spec.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "models/core/fd.hpp"
#include "models/core/offload_pool.hpp"
#include "models/core/span.hpp"
#include "models/core/trace.hpp"
#include "workloads/peers/references.hpp"
#include "workloads/workload_cells.hpp"

namespace cmbench::file_pipeline {

// ---- The kernel ---------------------------------------------------------------------------

void upper_case(std::span<char> bytes) {
  for (char& c : bytes)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - ('a' - 'A'));
}

// ---- Blocking file calls ------------------------------------------------------------------

namespace {

[[noreturn]] void raise_for(const std::string& path, int error) {
  throw std::system_error(error, std::generic_category(), path);
}

Fd open_or_raise(const std::string& path, int flags, mode_t mode = 0644) {
  Fd fd(::open(path.c_str(), flags | O_CLOEXEC, mode));
  if (!fd) raise_for(path, errno);
  return fd;
}

}  // namespace

std::string read_file(const std::string& path) {
  Fd fd = open_or_raise(path, O_RDONLY);
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) raise_for(path, errno);
  // Sized from fstat, read until end of file: one read for a file that did not change.
  std::string data(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  for (;;) {
    if (done == data.size()) data.resize(data.size() + 4096);  // it grew: read on
    ssize_t n = ::read(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) raise_for(path, errno);
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  data.resize(done);
  return data;
}

void write_file(const std::string& path, std::string_view data, bool sync) {
  Fd fd = open_or_raise(path, O_WRONLY | O_CREAT | O_TRUNC);
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) raise_for(path, errno);
    done += static_cast<std::size_t>(n);
  }
  if (sync) sync_file(fd.get(), path);
}

void sync_file(int fd, const std::string& path) {
  if (::fdatasync(fd) < 0) raise_for(path, errno);
}

Span process_file(const Params& p, std::size_t i) {
  const std::int64_t start = monotonic_ns();
  std::string data = read_file(p.input(i));
  upper_case(data);
  write_file(p.output(i), data, p.sync);
  return {start, monotonic_ns()};
}

// ---- The directory ------------------------------------------------------------------------

std::string scratch_base() {
  const char* tmpdir = std::getenv("TMPDIR");
  return tmpdir && *tmpdir ? tmpdir : "/var/tmp";
}

std::string filesystem_type(const std::string& path) {
  struct statfs fs {};
  if (::statfs(path.c_str(), &fs) < 0) return "unknown (" + std::string(std::strerror(errno)) + ")";
  switch (static_cast<unsigned long>(fs.f_type)) {
    case EXT4_SUPER_MAGIC:  // ext2, ext3 and ext4 share it
      return "ext4";
    case XFS_SUPER_MAGIC:
      return "xfs";
    case BTRFS_SUPER_MAGIC:
      return "btrfs";
    case TMPFS_MAGIC:
      return "tmpfs";
    case RAMFS_MAGIC:
      return "ramfs";
    case OVERLAYFS_SUPER_MAGIC:
      return "overlayfs";
    case NFS_SUPER_MAGIC:
      return "nfs";
    default: {
      char hex[32];
      std::snprintf(hex, sizeof hex, "0x%lx", static_cast<unsigned long>(fs.f_type));
      return std::string("f_type ") + hex;
    }
  }
}

void sweep_stale_scratch(const std::string& base) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(base, error)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(scratch_prefix)) continue;
    // "<prefix><pid>-XXXXXX": the pid of the process that made it.
    const std::string rest = name.substr(std::string_view(scratch_prefix).size());
    char* end = nullptr;
    const long pid = std::strtol(rest.c_str(), &end, 10);
    if (pid <= 0 || end == rest.c_str() || *end != '-') continue;
    if (::kill(static_cast<pid_t>(pid), 0) < 0 && errno == ESRCH) {
      std::error_code ignored;  // another sweep may be removing it too
      std::filesystem::remove_all(entry.path(), ignored);
    }
  }
}

Scratch::Scratch() {
  const std::string base = scratch_base();
  const std::string type = filesystem_type(base);
  if (type == "tmpfs" || type == "ramfs")
    throw std::runtime_error(base + " is on " + type +
                             ", in memory: file_pipeline measures files on a disk; set TMPDIR "
                             "to a directory on one");
  sweep_stale_scratch(base);
  std::string pattern = base + "/" + scratch_prefix + std::to_string(::getpid()) + "-XXXXXX";
  if (!::mkdtemp(pattern.data()))
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  path_ = pattern;
  for (const char* sub : {"/in", "/out"})
    if (::mkdir((path_ + sub).c_str(), 0755) < 0) {
      int error = errno;
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
      throw std::system_error(error, std::generic_category(), "mkdir " + path_ + sub);
    }
}

Scratch::~Scratch() {
  std::error_code ignored;  // a destructor has nobody to tell; the test checks it is gone
  std::filesystem::remove_all(path_, ignored);
}

// ---- Threads used -------------------------------------------------------------------------

ThreadCounter::ThreadCounter() {
  reset();
  thread_ = std::jthread([this](std::stop_token stop) {
    trace::name_thread("thread counter");
    std::unique_lock lock(mutex_);
    for (;;) {
      trace::blocked(trace::Wait::timer);  // idle in a trace, not busy
      wake_.wait_for(lock, stop, std::chrono::milliseconds(1), [] { return false; });
      trace::unblocked();
      if (stop.stop_requested()) return;
      sample();
    }
  });
}

ThreadCounter::~ThreadCounter() {
  thread_.request_stop();  // wakes the wait, which returns; the jthread joins
}

unsigned ThreadCounter::now() {
  // /proc/self/stat: "pid (comm) state ppid ..."; num_threads is the 20th field, the 18th
  // after the comm's closing parenthesis (the comm may hold spaces and parentheses).
  char buf[1024];
  int fd = ::open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');
  if (!p) return 0;
  for (int field = 2; field < 20 && p; ++field) p = std::strchr(p + 1, ' ');
  return p ? static_cast<unsigned>(std::strtoul(p + 1, nullptr, 10)) : 0;
}

void ThreadCounter::sample() {
  const unsigned all = now();
  const unsigned n = all > 0 ? all - 1 : 0;  // not the counter's own thread
  unsigned seen = peak_.load(std::memory_order_relaxed);
  while (n > seen && !peak_.compare_exchange_weak(seen, n, std::memory_order_relaxed)) {
  }
}

void ThreadCounter::reset() {
  peak_.store(0, std::memory_order_relaxed);
  sample();
}

unsigned ThreadCounter::peak() {
  sample();
  return peak_.load(std::memory_order_relaxed);
}

// ---- The workload -------------------------------------------------------------------------

namespace {

// A splitmix64 stream: 64 random bits per call, from a seed.
struct SplitMix {
  std::uint64_t state;
  std::uint64_t operator()() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
};

// Input file i's bytes from an alphabet of 64: 6 bits of the stream per byte. The expected
// output comes from the same stream through the alphabet written in upper case, so the
// verifier's answer owes nothing to the kernel.
constexpr std::string_view alphabet =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n";
constexpr std::string_view upper_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n";
static_assert(alphabet.size() == 64 && upper_alphabet.size() == 64);

std::string generate(std::size_t i, std::size_t size, std::string_view letters) {
  SplitMix next{0x51ED2701ULL * (i + 1)};
  std::string bytes(size, '\0');
  std::uint64_t bits = 0;
  int left = 0;
  for (char& c : bytes) {
    if (left == 0) bits = next(), left = 10;  // ten 6-bit letters per draw
    c = letters[bits & 63];
    bits >>= 6;
    --left;
  }
  return bytes;
}

std::string number(std::size_t i) {
  char name[16];
  std::snprintf(name, sizeof name, "%05zu", i);
  return name;
}

// Drops the cached pages of `path` (clean ones: the inputs were fdatasync'ed when written).
void drop_cache(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) raise_for(path, errno);
  if (int e = ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED); e != 0) raise_for(path, e);
}

ParamValues at(const std::string& m, const std::string& s, const std::string& cache = "warm",
               const std::string& sync = "0") {
  return ParamValues({{"M", m}, {"S", s}, {"cache", cache}, {"sync", sync}, {"T", "0"}});
}

}  // namespace

std::string input_bytes(std::size_t i, std::size_t size) {
  return generate(i, size, alphabet);
}

Digest digest_of(std::string_view bytes) {
  // Eight bytes at a time, multiply and fold: several GB/s, so that re-reading 1 GB of
  // outputs does not make the verifier the slowest part of a cell.
  std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ bytes.size();
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 31;
  }
  for (; i < bytes.size(); ++i) h = (h ^ static_cast<unsigned char>(bytes[i])) * 0x100000001b3ULL;
  return {bytes.size(), h};
}

std::string Params::input(std::size_t i) const {
  return dir->path() + "/in/" + number(i);
}

std::string Params::output(std::size_t i) const {
  return dir->path() + "/out/" + number(i);
}

Workload describe() {
  Workload w;
  w.name = "file_pipeline";
  w.title = "read M files, upper-case them, write M files";
  w.summary =
      "Each run reads M files of S bytes from the disk, upper-cases them and writes M output "
      "files: the aiofiles example. Regular files never block in epoll's sense, so the "
      "event-driven models hand every file call to a thread pool, as Python's async file "
      "libraries do; io_uring, the reference, does the I/O in the kernel. warm or cold page "
      "cache, and sync=1 fdatasyncs every output.";
  w.params = {
      {"M", ParamKind::integer, "100", "files", 1, 100'000},
      {"S", ParamKind::integer, "4096", "bytes per file", 1, 16 << 20},
      {"cache",
       ParamKind::choice,
       "warm",
       "warm: inputs in the page cache; cold: their pages dropped before every run",
       0,
       0,
       {"warm", "cold"}},
      {"sync", ParamKind::integer, "0", "1: fdatasync every output", 0, 1},
      {"T", ParamKind::integer, "0",
       "I/O threads (threads' pool, processes' workers, the offload pool); 0: the offload "
       "pool's default",
       0, 256},
  };
  w.scale_param = "M";
  w.scales = [](Profile profile) {
    std::vector<ParamValues> s;
    if (profile == Profile::quick) {
      // 200 files: each cell's set-up and clean-up (creating and removing 2·M files, slow on
      // ext4 after many deletions) cost seconds at 1 000, more than the quick profile has.
      s.push_back(at("200", "4096"));
      return s;
    }
    if (profile == Profile::full) {
      // Quick's 200 small files, 10 (a model's set-up alone), and 10 files of 1 MiB (the
      // bytes, not the calls). 1 000 files cost 6 s a cell in set-up and clean-up.
      for (auto m : {"10", "200"}) s.push_back(at(m, "4096"));
      s.push_back(at("10", "1048576"));
      return s;
    }
    // 1 000 files of 1 MiB (2 GB read and written per run) is left out: about a second a
    // run for the fastest implementation, and the processes and sequential rows near 3 s.
    for (auto m : {"10", "100", "200", "1000"}) s.push_back(at(m, "4096"));
    for (auto m : {"10", "100"}) s.push_back(at(m, "1048576"));
    s.push_back(at("1000", "4096", "cold"));
    s.push_back(at("1000", "4096", "warm", "1"));
    return s;
  };
  w.smallest = at("8", "4096");
  w.traced = at("8", "4096");
  w.tasks = [](const ParamValues& v) { return static_cast<std::uint64_t>(v.integer("M")); };
  w.estimate_seconds = [](const ParamValues& v, const ModelInfo& m) {
    // Rough costs measured on this machine class (ext4 on a virtual disk): a run takes
    // 40–110 µs per warm 4 KiB file, but set-up creates 2·M files, up to 1–2 ms each soon
    // after many deletions (ext4 skips recently deleted inodes one by one), so 300 µs a file
    // covers both; 1 ns per byte read and written; a cold read or an fdatasync ≈ 1 ms of disk
    // wait, overlapped by the concurrent models. Time limits only.
    double files = static_cast<double>(v.integer("M"));
    double bytes = files * static_cast<double>(v.integer("S"));
    double waits = (v.text("cache") == "cold") + v.integer("sync");
    double per_file = 300e-6 + waits * 1e-3 / (m.concurrent ? 2 : 1) + m.task_start_us * 1e-6;
    return files * per_file + bytes * 0.5e-9 * 2;
  };
  w.metrics = {
      {"files_per_s", "files per second", "files/s", false, true, "io_uring"},
      {"mb_per_s", "input read and written", "MB/s", false, false, "io_uring"},
      {"threads", "the process's threads during the run", "", true, false},
      {"io_workers", "I/O workers (threads, processes, requests in flight)", "", true, false},
  };
  return w;
}

Params make_params(const ParamValues& v) {
  Params p;
  p.files = static_cast<std::size_t>(v.integer("M"));
  p.size = static_cast<std::size_t>(v.integer("S"));
  p.cold = v.text("cache") == "cold";
  p.sync = v.integer("sync") == 1;
  const auto t = static_cast<unsigned>(v.integer("T"));
  // The event-driven models share the process's offload pool, sized once per process: a
  // cell runs in a process of its own in the suite, and set-up sizes it before first use.
  if (!OffloadPool::instance().set_threads(t))
    throw BadInput("T=" + std::to_string(t) + ": the offload pool of this process already runs " +
                   std::to_string(OffloadPool::instance().threads()) +
                   " threads; run the cell in a process of its own");
  p.workers = t ? t : OffloadPool::default_threads();
  // The event-driven models open every input at once (each task's first call), so up to M
  // descriptors at a time: the soft limit is raised to the hard one.
  if (rlimit r{}; ::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
  p.dir = std::make_shared<const Scratch>();
  p.expected.reserve(p.files);
  // The outputs exist from the start, empty, and are emptied again after every check: a run
  // then truncates and writes files that exist, as a program run twice does. Deleting them
  // between runs instead made ext4 allocate M new inodes per run, each allocation scanning
  // the recently deleted ones (recently_deleted(), 70 % of the time in a profile): about
  // 340 µs a file for the loop, against about 110 µs to create a file in a fresh directory.
  for (std::size_t i = 0; i < p.files; ++i) {
    write_file(p.input(i), input_bytes(i, p.size), /*sync=*/false);
    write_file(p.output(i), "", /*sync=*/false);
    p.expected.push_back(digest_of(generate(i, p.size, upper_alphabet)));
  }
  // Every input on the disk (one syncfs rather than M fdatasyncs), so that no write-back of
  // the set-up runs during a timed run and a cold input's pages are clean, hence droppable.
  {
    Fd dir(::open(p.dir->path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir || ::syncfs(dir.get()) < 0) raise_for(p.dir->path(), errno);
  }
  for (std::size_t i = 0; i < p.files; ++i) {
    if (p.cold)
      drop_cache(p.input(i));
    else
      read_file(p.input(i));  // warm: read once before timing, whatever the writes left cached
  }
  p.threads = std::make_shared<ThreadCounter>();
  return p;
}

Verdict verify(const Params& p, const Result& r, const ModelInfo& m) {
  if (r.files.size() != p.files)
    return Verdict::fail(std::to_string(r.files.size()) + " files done of " +
                         std::to_string(p.files));
  for (std::size_t i = 0; i < p.files; ++i) {
    const std::string path = p.output(i);
    Digest got;
    try {
      got = digest_of(read_file(path));
    } catch (const std::system_error& e) {
      return Verdict::fail(std::string("output ") + e.what());
    }
    const Digest& want = p.expected[i];
    if (got != want)
      return Verdict::fail("output " + path + ": " + std::to_string(got.length) +
                           " bytes with checksum " + std::to_string(got.checksum) + ", expected " +
                           std::to_string(want.length) + " bytes with " +
                           std::to_string(want.checksum));
  }
  // Set-up for the next run, here where nothing is timed: every output empty again (a run
  // that skips one leaves it empty, which the check above rejects), and when cold no input
  // page in the cache.
  for (std::size_t i = 0; i < p.files; ++i) {
    if (::truncate(p.output(i).c_str(), 0) < 0)
      return Verdict::fail("truncate " + p.output(i) + ": " + std::strerror(errno));
    if (p.cold) drop_cache(p.input(i));
  }
  const auto peak = peak_overlap(r.files);
  if (!m.concurrent && peak != 1)
    return Verdict::fail("a sequential loop had " + std::to_string(peak) + " files in flight");
  Verdict v{true, "", p.files, peak};
  const double seconds = static_cast<double>(std::max<std::int64_t>(r.wall_ns, 1)) * 1e-9;
  v.metrics = {
      {"files_per_s", static_cast<double>(p.files) / seconds},
      {"mb_per_s", static_cast<double>(p.files * p.size) / seconds / 1e6},
      {"threads", static_cast<double>(r.threads)},
      {"io_workers", static_cast<double>(r.workers)},
  };
  return v;
}

// ---- The cells -----------------------------------------------------------------------------

namespace {

// One implementation, timed from its first call to its return, with the threads it used
// and its I/O workers.
template <Files (*run)(const Params&), unsigned (*workers)(const Params&)>
Result timed(const Params& p) {
  p.threads->reset();
  const std::int64_t start = monotonic_ns();
  Result r;
  r.files = run(p);
  r.wall_ns = monotonic_ns() - start;
  r.threads = p.threads->peak();
  r.workers = workers(p);
  return r;
}

unsigned one(const Params&) {
  return 1;
}
unsigned t_workers(const Params& p) {
  return p.workers;
}
unsigned ring(const Params&) {
  return uring_depth;
}
unsigned uv_pool(const Params&) {
  return uv_threadpool_size();
}

}  // namespace

void register_cells(Catalog& catalog) {
  WorkloadCells<Params, Result> cells(catalog, describe(), make_params, verify);
  cells.add_models({
      timed<sequential, one>,
      timed<threads, t_workers>,
      timed<processes, t_workers>,
      timed<callbacks, t_workers>,
      timed<futures, t_workers>,
      timed<coroutines, t_workers>,
      timed<fibers, t_workers>,
  });
  cells.add(coroutines::info, timed<coroutines_uring, ring>, "uring");
  cells.add(references::io_uring, timed<io_uring, ring>);
  cells.add(references::libuv, timed<libuv, uv_pool>);
  register_python(catalog);
}

}  // namespace cmbench::file_pipeline
