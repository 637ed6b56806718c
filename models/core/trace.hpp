// The trace recorder: what ran where and when, in every model, on one clock.
//
// Each runtime records its tasks' lives as they happen: a task is created (by the task
// running then), resumed on an OS thread, suspended on something (a timer, a socket, a
// lock, a join, a pool), woken (by a task or by an event), and finished. OS threads record
// when they block in the kernel and when they run again. The harness's writer
// (bench/harness/trace_json.hpp) turns the events into Chrome Trace Event JSON (Perfetto)
// and scripts/timeline.py draws them.
//
// Guarantees:
//  - Off by default. When off, every hook is one relaxed load of a global flag and a
//    predicted branch; built with CMBENCH_TRACE=0 the hooks are empty and vanish.
//  - When on: no lock and no allocation per event. Each OS thread writes its own chunk of
//    a region mapped once by start() (4096 events per chunk, taken with one atomic add),
//    so threads never share a cache line while recording. One clock: CLOCK_MONOTONIC, ns.
//  - Bounded: start(capacity) maps `capacity` events (32 bytes each) and never more. When
//    the chunks run out, events are dropped and counted per thread; the trace says so.
//  - A forked child records into its own copy of the region (start_in_child()); the
//    parent merges what the child exported after the join (import_child()).
// Not guaranteed: events recorded while stop() runs may be lost (the runtimes stop
// recording at the end of a run, before stop()).
// Cost (measured, docs/timelines.md): see `cmbench trace-cost`. Off, a hook is a load and a
// branch (≈ 3 instructions); on, an event is a clock read and a 32-byte store, plus a page
// fault per 128 events past the first 16 MiB that start() touches in advance.
// Thread-safety: every hook may be called from any thread; start() and stop() from one
// thread while no traced work runs.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#ifndef CMBENCH_TRACE
#define CMBENCH_TRACE 1
#endif

namespace cmbench::trace {

// A task's identity: any 64-bit value unique among the tasks alive at once (a frame's or a
// Deferred's address, a coroutine task's id). An address may be reused once the task
// finished: `created` begins a new task. 0 means "no task".
using TaskId = std::uint64_t;

enum class Kind : std::uint8_t {
  created,        // task made; arg: its parent task (0: the thread's own work)
  named,          // task; arg: a name from intern()
  resumed,        // task runs on this thread from now on (its first run starts it)
  suspended,      // task stops running; detail: the Wait it now waits on
  woken,          // task made ready; arg: the waking task (0: an event); detail: Cause
  finished,       // task; detail: Outcome
  blocked,        // this OS thread waits in the kernel; detail: Wait (epoll: timer or read)
  unblocked,      // this OS thread runs again
  offload_begin,  // this (pool) thread starts a job for task (task keeps waiting on pool)
  offload_end,    // this (pool) thread is done with task's job
  thread_named,   // this thread's lane; arg: a name from intern()
  forked,         // this thread forked a child; arg: its pid
  reaped,         // this thread collected a child; arg: its pid
  mark,           // the recorded run begins (detail 0) or ends (1) on this thread
  slow,           // a loop's callback or step held its thread until now; task: whose (0:
                  // unknown); arg: for how long, in ns (a slow-callback detector's find)
};

enum class Wait : std::uint8_t {
  none,     // nothing: it yielded and is ready at once
  timer,    // a sleep, a timeout
  read,     // a socket or pipe to read from, a connection to accept
  write,    // a socket to write to, a connect in progress
  lock,     // a lock, a queue, an event, a condition, a semaphore
  join,     // another task's end
  pool,     // work handed to a thread pool
  process,  // a child process
};

enum class Cause : std::uint8_t { task, timer, io, pool, event };
enum class Outcome : std::uint8_t { ok, exception, cancelled };

const char* wait_name(Wait w) noexcept;    // "timer", "read", ...
const char* cause_name(Cause c) noexcept;  // "task", "timer", ...
const char* outcome_name(Outcome o) noexcept;

struct Event {
  std::int64_t ts;  // CLOCK_MONOTONIC ns; written last, so 0 marks a slot not yet used
  TaskId task;
  std::uint64_t arg;
  Kind kind;
  std::uint8_t detail;
};
static_assert(sizeof(Event) == 32);

#if CMBENCH_TRACE
extern std::atomic<bool> enabled_flag;
inline bool on() noexcept {
  return enabled_flag.load(std::memory_order_relaxed);
}
#else
constexpr bool on() noexcept {
  return false;
}
#endif

// Records one event on this thread's lane. Call only when on() (the hooks below check).
void record(Kind k, TaskId task, std::uint64_t arg = 0, std::uint8_t detail = 0) noexcept;

// The task running on this thread now (set by resumed, cleared by suspended and finished),
// or 0.
TaskId current() noexcept;

// A name that lives as long as the process (interned once; later calls with the same text
// return the same pointer). Takes a lock: call when naming, not per event.
const char* intern(std::string_view name);

// ---- the hooks the runtimes call ----------------------------------------------------
inline void created(TaskId t) noexcept {
  if (on()) [[unlikely]]
    record(Kind::created, t, current());
}
inline void created(TaskId t, TaskId parent) noexcept {
  if (on()) [[unlikely]]
    record(Kind::created, t, parent);
}
inline void named(TaskId t, const char* interned) noexcept {
  if (on()) [[unlikely]]
    record(Kind::named, t, reinterpret_cast<std::uintptr_t>(interned));
}
inline void resumed(TaskId t) noexcept {
  if (on()) [[unlikely]]
    record(Kind::resumed, t);
}
inline void suspended(TaskId t, Wait on_what) noexcept {
  if (on()) [[unlikely]]
    record(Kind::suspended, t, 0, static_cast<std::uint8_t>(on_what));
}
// Woken by the task running now on this thread if there is one, else by `cause`.
inline void woken(TaskId t, Cause cause) noexcept {
  if (on()) [[unlikely]] {
    TaskId by = current();
    record(Kind::woken, t, by, static_cast<std::uint8_t>(by ? Cause::task : cause));
  }
}
inline void finished(TaskId t, Outcome o = Outcome::ok) noexcept {
  if (on()) [[unlikely]]
    record(Kind::finished, t, 0, static_cast<std::uint8_t>(o));
}
inline void blocked(Wait on_what) noexcept {
  if (on()) [[unlikely]]
    record(Kind::blocked, 0, 0, static_cast<std::uint8_t>(on_what));
}
inline void unblocked() noexcept {
  if (on()) [[unlikely]]
    record(Kind::unblocked, 0);
}
inline void offload_begin(TaskId t) noexcept {
  if (on()) [[unlikely]]
    record(Kind::offload_begin, t);
}
inline void offload_end(TaskId t) noexcept {
  if (on()) [[unlikely]]
    record(Kind::offload_end, t);
}
inline void forked(pid_t child) noexcept {
  if (on()) [[unlikely]]
    record(Kind::forked, 0, static_cast<std::uint64_t>(child));
}
inline void reaped(pid_t child) noexcept {
  if (on()) [[unlikely]]
    record(Kind::reaped, 0, static_cast<std::uint64_t>(child));
}
// One callback or task step held this (loop) thread for `took_ns`, ending now: a slow
// callback detector (Engine::set_slow_callback, the coroutines' debug mode) found it.
inline void slow(TaskId t, std::int64_t took_ns) noexcept {
  if (on()) [[unlikely]]
    record(Kind::slow, t, static_cast<std::uint64_t>(took_ns));
}
// Why a task woken now was woken, when no task is running to have done it: set by a loop's
// entry points (a timer firing, a pool job done, a socket ready) while they run.
inline thread_local Cause wake_cause = Cause::event;

// While alive (and recording), the tasks woken without a running task were woken by `why`.
class Because {
 public:
  explicit Because(Cause why) noexcept {
    if (on()) [[unlikely]] {
      active_ = true;
      previous_ = wake_cause;
      wake_cause = why;
    }
  }
  ~Because() {
    if (active_) [[unlikely]]
      wake_cause = previous_;
  }
  Because(const Because&) = delete;
  Because& operator=(const Because&) = delete;

 private:
  bool active_ = false;
  Cause previous_ = Cause::event;
};

// Task `t` runs on this thread from now on; the task that ran (if any) is ready meanwhile.
// Returns that task, or `t` itself if `t` was running already (then switch_back does
// nothing). Call only when recording.
inline TaskId switch_to(TaskId t) noexcept {
  TaskId previous = current();
  if (previous == t) return t;
  if (previous) suspended(previous, Wait::none);
  resumed(t);
  return previous;
}
inline void switch_back(TaskId t, TaskId previous) noexcept {
  if (previous != t && previous) resumed(previous);
}

// The recorded run begins or ends here: a program that neither blocks nor makes a task
// (sequential computation) still has a lane, busy from the first mark to the second.
inline void mark(bool end) noexcept {
  if (on()) [[unlikely]]
    record(Kind::mark, 0, 0, end ? 1 : 0);
}

// Names this OS thread's lane ("offload 1"). Works on or off: the name is kept for the
// thread and used from its first event on. `loop`: the thread runs an event loop, so its
// own blocking is the loop's idle time, not a task's wait, and the blocking-call hooks
// (trace_blocking.cpp) leave its non-blocking sockets alone.
void name_thread(std::string_view name, bool loop = false) noexcept;
// Whether this thread runs an event loop now (name_thread(..., true), or a LoopScope).
bool on_loop_thread() noexcept;

// While alive, this thread runs an event loop: its lane is named "loop" (unless named
// otherwise) and the blocking-call hooks leave it alone. For a loop run on a thread that is
// not only the loop's (the harness's main thread runs one loop after another).
class LoopScope {
 public:
  LoopScope() noexcept;
  ~LoopScope();
  LoopScope(const LoopScope&) = delete;
  LoopScope& operator=(const LoopScope&) = delete;

 private:
  bool was_;
  const char* name_;
};
// A new task id from a process-wide counter, for tasks with no address of their own (a
// thread made while recording, a forked child).
TaskId fresh_id() noexcept;

// A lane's (an OS thread's) identity and what it holds after stop().
struct Lane {
  pid_t pid = 0;
  pid_t tid = 0;
  std::string name;           // given by name_thread, else "main" for the process's first thread,
                              // else "thread <tid>"
  bool loop = false;          // runs an event loop (name_thread(..., true))
  std::uint64_t dropped = 0;  // events lost to a full buffer
  std::vector<Event> events;  // in the order recorded
};

// What one recorded run holds, every lane of every process that took part.
struct Recording {
  std::vector<Lane> lanes;
  std::int64_t start_ns = 0, stop_ns = 0;
  std::uint64_t capacity = 0;  // events the region held
  std::uint64_t dropped() const noexcept;
  std::uint64_t events() const noexcept;
};

constexpr std::uint64_t default_capacity = std::uint64_t{1} << 22;  // 4 Mi events, 128 MiB

// Maps the region and turns recording on. Throws std::system_error if it cannot map.
void start(std::uint64_t capacity = default_capacity);
// Turns recording off and gathers every lane (and the children imported meanwhile).
Recording stop();

// Numbers the threads made while recording from 1 again (trace_blocking.cpp).
void restart_thread_numbers() noexcept;

// In a child just forked from a recording process: forget the parent's lanes and record
// into the child's own copy of the region. No-op when off.
void start_in_child() noexcept;
// In that child, before it exits: its lanes, as bytes for the parent (empty when off).
std::string export_child();
// In the parent: merges a child's export into the current recording. Bad bytes are counted
// as dropped, never trusted.
void import_child(std::string_view bytes) noexcept;

}  // namespace cmbench::trace
