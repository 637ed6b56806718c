// say() and its shared log (demo.hpp, log.hpp).
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>
#include <system_error>

#include "demo.hpp"
#include "log.hpp"
#include "models/core/span.hpp"
#include "models/core/trace.hpp"

namespace cmbench::demos {
namespace {

constexpr std::size_t max_lines = 4096;
constexpr std::size_t max_lanes = 64;
constexpr std::size_t text_bytes = 472;

struct SharedLine {
  std::atomic<std::uint32_t> done;  // 1 once the line is complete
  std::int64_t t_ns;
  std::int32_t pid, tid;
  std::uint32_t lane;  // index into Shared::lanes
  std::uint32_t length;
  char text[text_bytes];
};

// Lives in a MAP_SHARED mapping: the atomics are lock-free, so they work across processes.
// Nothing waits on anything: a writer killed half-way (a terminated child) leaves one
// incomplete line or lane slot behind, never a lock held.
// Invariants: a writer takes line slot `count` and sets its `done` last; lanes[i] is 0 or
// the (pid, tid) of the i-th lane to speak, claimed once by compare-and-swap.
struct Shared {
  std::int64_t start_ns;
  std::int32_t root_pid;
  std::atomic<std::uint32_t> count, dropped;
  std::atomic<std::uint64_t> lanes[max_lanes];
  SharedLine lines[max_lines];
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

Shared* shared = nullptr;
std::chrono::milliseconds the_unit{1000};

// The lane's index, numbered in order of first appearance; max_lanes when the table is full.
std::uint32_t lane_of(std::int32_t pid, std::int32_t tid, bool* is_new) {
  *is_new = false;
  const std::uint64_t key = (std::uint64_t(std::uint32_t(pid)) << 32) | std::uint32_t(tid);
  for (std::uint32_t i = 0; i < max_lanes; ++i) {
    std::uint64_t have = shared->lanes[i].load(std::memory_order_acquire);
    if (have == 0 && shared->lanes[i].compare_exchange_strong(have, key)) {
      *is_new = true;
      return i;
    }
    if (have == key) return i;
  }
  return max_lanes;
}

// The lane's letter: A for the first lane that bears one, B for the next … Lanes bear a
// letter when they are a thread of the run's own process or a child's main thread (a
// child's other threads are numbered within its letter instead).
std::string letter(std::uint32_t lane) {
  if (lane >= max_lanes) return "?";
  std::uint32_t rank = 0;
  for (std::uint32_t i = 0; i < lane; ++i) {
    const std::uint64_t key = shared->lanes[i].load(std::memory_order_acquire);
    const auto pid = static_cast<std::int32_t>(key >> 32);
    const auto tid = static_cast<std::int32_t>(key & 0xffffffffu);
    if (key != 0 && (pid == shared->root_pid || pid == tid)) ++rank;
  }
  return rank < 26 ? std::string(1, static_cast<char>('A' + rank)) : std::to_string(rank + 1);
}

// "thread B" in the run's own process; in a forked child, "process C" for its main thread
// and "process C/2", "process C/3" … for the child's other threads, so that two threads of
// one child never read as two processes.
std::string lane_name(std::uint32_t lane, std::int32_t pid, std::int32_t tid) {
  if (pid == shared->root_pid) return "thread " + letter(lane);
  bool unused = false;
  const std::uint32_t process = lane_of(pid, pid, &unused);  // claimed by say() already
  if (tid == pid) return "process " + letter(process);
  int number = 2;  // the child's main thread is its thread 1
  for (std::uint32_t i = 0; i < lane && i < max_lanes; ++i) {
    const std::uint64_t key = shared->lanes[i].load(std::memory_order_acquire);
    if (i != process && static_cast<std::int32_t>(key >> 32) == pid) ++number;
  }
  return "process " + letter(process) + "/" + std::to_string(number);
}

void write_all(const std::string& s) noexcept {
  const char* p = s.data();
  std::size_t left = s.size();
  while (left > 0) {
    ssize_t n = ::write(STDOUT_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stdout closed: the log still has the line
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace

std::chrono::milliseconds unit() noexcept {
  return the_unit;
}

std::chrono::microseconds units(double n) noexcept {
  return std::chrono::microseconds(static_cast<std::int64_t>(n * the_unit.count() * 1000.0));
}

double elapsed_s() noexcept {
  const std::int64_t start = shared ? shared->start_ns : 0;
  return static_cast<double>(monotonic_ns() - start) / 1e9;
}

void set_unit(std::chrono::milliseconds u) noexcept {
  the_unit = u;
}

void begin_run() {
  if (!shared) {
    void* p =
        ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "demo log: mmap");
    shared = new (p) Shared{};
  }
  shared->count.store(0);
  shared->dropped.store(0);
  for (auto& lane : shared->lanes) lane.store(0);
  for (auto& line : shared->lines) line.done.store(0, std::memory_order_relaxed);
  shared->root_pid = static_cast<std::int32_t>(::getpid());
  shared->start_ns = monotonic_ns();
  bool is_new = false;
  lane_of(shared->root_pid, static_cast<std::int32_t>(::gettid()), &is_new);  // thread A
}

std::vector<Line> end_run(std::uint64_t* dropped) {
  std::vector<Line> lines;
  if (!shared) return lines;
  const std::uint32_t n = std::min<std::uint32_t>(shared->count.load(), max_lines);
  for (std::uint32_t i = 0; i < n; ++i) {
    const SharedLine& s = shared->lines[i];
    if (!s.done.load(std::memory_order_acquire)) continue;  // its writer died mid-line
    lines.push_back(
        {s.t_ns, s.pid, s.tid, lane_name(s.lane, s.pid, s.tid), std::string(s.text, s.length)});
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const Line& a, const Line& b) { return a.t_ns < b.t_ns; });
  if (dropped) *dropped = shared->dropped.load();
  return lines;
}

namespace detail {

void say(std::string text) noexcept {
  const std::int64_t now = monotonic_ns();
  const auto pid = static_cast<std::int32_t>(::getpid());
  const auto tid = static_cast<std::int32_t>(::gettid());
  if (!shared) {  // outside a run (a demo called directly): print, keep nothing
    write_all(text + "\n");
    return;
  }
  bool is_new = false;
  // A child's other threads are numbered within its letter: the child takes its letter
  // first, whichever of its threads speaks first.
  if (pid != shared->root_pid && tid != pid) lane_of(pid, pid, &is_new);
  const std::uint32_t lane = lane_of(pid, tid, &is_new);
  const std::string name = lane_name(lane, pid, tid);
  // The trace's lane gets the printed name, so that the chart and the output agree.
  if (is_new && trace::on() && !trace::on_loop_thread()) trace::name_thread(name);
  const std::int64_t t = now - shared->start_ns;
  std::string line;
  try {
    line = fmt::format("[+{:.3f} s  {:<9}]  {}\n", static_cast<double>(t) / 1e9, name, text);
  } catch (...) {
    return;  // out of memory: the line is lost, the demo goes on
  }
  write_all(line);
  const std::uint32_t slot = shared->count.fetch_add(1);
  if (slot >= max_lines) {
    shared->dropped.fetch_add(1);
    return;
  }
  SharedLine& s = shared->lines[slot];
  s.t_ns = t;
  s.pid = pid;
  s.tid = tid;
  s.lane = lane;
  s.length = static_cast<std::uint32_t>(std::min(text.size(), text_bytes));
  std::memcpy(s.text, text.data(), s.length);
  s.done.store(1, std::memory_order_release);
}

}  // namespace detail
}  // namespace cmbench::demos
