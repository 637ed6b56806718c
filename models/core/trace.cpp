#include "trace.hpp"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <system_error>

#include "models/core/span.hpp"

namespace cmbench::trace {

#if CMBENCH_TRACE
std::atomic<bool> enabled_flag{false};
#endif

namespace {

constexpr std::uint64_t chunk_events = 4096;
constexpr std::uint32_t no_lane = ~std::uint32_t{0};
constexpr std::size_t prefault_bytes = std::size_t{16} << 20;  // 512 Ki events

// One lane's identity while recording. Written by its own thread (dropped, name) and read
// by stop() after the run: hence the atomics.
struct LaneMeta {
  pid_t pid = 0, tid = 0;
  std::atomic<const char*> name{nullptr};
  std::atomic<bool> loop{false};
  std::atomic<std::uint64_t> dropped{0};
};

// The region of one recording: `chunks` chunks of 4096 events, handed out in order. Which
// lane owns chunk i is written by that lane before its first event there.
struct Region {
  Event* base = nullptr;
  std::uint64_t chunks = 0;
  std::uint32_t* owner = nullptr;  // lane of each chunk
  std::uint64_t first_chunk = 0;   // a child's own chunks start here
  std::atomic<std::uint64_t> next_chunk{0};
};

// Everything of the current recording. Replaced by start(), never freed while the process
// lives (a late hook on another thread may still hold a pointer into it); stop() gives
// its pages back to the kernel instead.
struct Session {
  std::uint64_t number = 0;
  Region region;
  std::mutex mutex;  // lanes and imported
  std::vector<std::unique_ptr<LaneMeta>> lanes;
  std::vector<Lane> imported;  // children's lanes
  std::uint64_t import_dropped = 0;
  std::int64_t start_ns = 0;
};

std::atomic<Session*> session{nullptr};
std::atomic<std::uint64_t> session_number{0};
std::atomic<std::uint64_t> next_id{1};

// This thread's place in the current session.
struct ThreadState {
  std::uint64_t number = 0;  // the session it is attached to; 0: none
  Event* cur = nullptr;
  Event* end = nullptr;
  LaneMeta* meta = nullptr;
  std::uint32_t lane = no_lane;
  TaskId current = 0;
  const char* name = nullptr;
  bool loop = false;
};
thread_local ThreadState me;

const char* default_name(pid_t pid, pid_t tid) {
  return tid == pid ? "main" : intern("thread " + std::to_string(tid));
}

// Attaches this thread to the current session: a lane of its own (under the session's
// lock: once per thread and recording).
bool attach(ThreadState& t) noexcept {
  Session* s = session.load(std::memory_order_acquire);
  if (!s) return false;
  try {
    auto meta = std::make_unique<LaneMeta>();
    meta->pid = getpid();
    meta->tid = gettid();
    meta->name.store(t.name ? t.name : default_name(meta->pid, meta->tid),
                     std::memory_order_relaxed);
    meta->loop.store(t.loop, std::memory_order_relaxed);
    std::lock_guard lock(s->mutex);
    t.lane = static_cast<std::uint32_t>(s->lanes.size());
    t.meta = meta.get();
    s->lanes.push_back(std::move(meta));
  } catch (...) {
    return false;
  }
  t.number = s->number;
  t.cur = t.end = nullptr;
  t.current = 0;
  return true;
}

bool grab_chunk(ThreadState& t) noexcept {
  Session* s = session.load(std::memory_order_acquire);
  if (!s || s->number != t.number) return false;
  Region& r = s->region;
  std::uint64_t i = r.next_chunk.fetch_add(1, std::memory_order_relaxed);
  if (i >= r.chunks) return false;
  r.owner[i] = t.lane;  // published by the release store of the chunk's first event
  t.cur = r.base + i * chunk_events;
  t.end = t.cur + chunk_events;
  return true;
}

[[maybe_unused]] void map_region(Region& r, std::uint64_t capacity) {
  r.chunks = std::max<std::uint64_t>(1, (capacity + chunk_events - 1) / chunk_events);
  std::size_t bytes = r.chunks * chunk_events * sizeof(Event) + r.chunks * sizeof(std::uint32_t);
  // Untouched pages cost nothing: only the chunks used are ever faulted in.
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap(trace)");
  r.base = static_cast<Event*>(p);
  r.owner = reinterpret_cast<std::uint32_t*>(r.base + r.chunks * chunk_events);
  // A first touch costs ≈ 16 µs per 4 KiB page on this VM, ≈ 130 ns per event: huge
  // pages where the kernel allows them, and the first pages touched now, before the run,
  // so that an event costs the clock read and the store.
  madvise(p, bytes, MADV_HUGEPAGE);
  const std::size_t early = std::min<std::size_t>(bytes, prefault_bytes);
  for (std::size_t at = 0; at < early; at += 4096) static_cast<volatile char*>(p)[at] = 0;
  const std::size_t owners = r.chunks * sizeof(std::uint32_t);  // at the region's end
  for (std::size_t at = 0; at < owners; at += 4096)
    reinterpret_cast<volatile char*>(r.owner)[at] = 0;
}

[[maybe_unused]] void give_back(const Region& r) noexcept {
  std::size_t bytes = r.chunks * chunk_events * sizeof(Event) + r.chunks * sizeof(std::uint32_t);
  madvise(r.base, bytes, MADV_DONTNEED);  // the mapping stays: a late hook writes zeros
}

// The lanes of chunks [from, used) in session s, each lane's events in the order recorded.
[[maybe_unused]] std::vector<Lane> gather(Session& s, std::uint64_t from) {
  std::vector<Lane> lanes(s.lanes.size());
  for (std::size_t i = 0; i < s.lanes.size(); ++i) {
    const LaneMeta& m = *s.lanes[i];
    lanes[i].pid = m.pid;
    lanes[i].tid = m.tid;
    lanes[i].name = m.name.load(std::memory_order_relaxed);
    lanes[i].loop = m.loop.load(std::memory_order_relaxed);
    lanes[i].dropped = m.dropped.load(std::memory_order_relaxed);
  }
  std::uint64_t used =
      std::min(s.region.next_chunk.load(std::memory_order_relaxed), s.region.chunks);
  for (std::uint64_t c = from; c < used; ++c) {
    Event* e = s.region.base + c * chunk_events;
    Event* end = e + chunk_events;
    if (std::atomic_ref<std::int64_t>(e->ts).load(std::memory_order_acquire) == 0) continue;
    std::uint32_t lane = s.region.owner[c];
    if (lane >= lanes.size()) continue;
    for (; e != end; ++e) {
      std::int64_t ts = std::atomic_ref<std::int64_t>(e->ts).load(std::memory_order_acquire);
      if (ts == 0) break;
      Event copy = *e;
      copy.ts = ts;
      lanes[lane].events.push_back(copy);
    }
  }
  return lanes;
}

}  // namespace

const char* wait_name(Wait w) noexcept {
  switch (w) {
    case Wait::none:
      return "ready";
    case Wait::timer:
      return "timer";
    case Wait::read:
      return "read";
    case Wait::write:
      return "write";
    case Wait::lock:
      return "lock";
    case Wait::join:
      return "join";
    case Wait::pool:
      return "pool";
    case Wait::process:
      return "process";
  }
  return "?";
}

const char* cause_name(Cause c) noexcept {
  switch (c) {
    case Cause::task:
      return "task";
    case Cause::timer:
      return "timer";
    case Cause::io:
      return "io";
    case Cause::pool:
      return "pool";
    case Cause::event:
      return "event";
  }
  return "?";
}

const char* outcome_name(Outcome o) noexcept {
  switch (o) {
    case Outcome::ok:
      return "ok";
    case Outcome::exception:
      return "exception";
    case Outcome::cancelled:
      return "cancelled";
  }
  return "?";
}

void record(Kind k, TaskId task, std::uint64_t arg, std::uint8_t detail) noexcept {
  // The time of the call, before anything this thread's first event or a new chunk costs.
  const std::int64_t now = monotonic_ns();
  ThreadState& t = me;
  if (t.number != session_number.load(std::memory_order_acquire) && !attach(t)) return;
  if (k == Kind::resumed) {
    t.current = task;
  } else if ((k == Kind::suspended || k == Kind::finished) && t.current == task) {
    t.current = 0;
  }
  if (t.cur == t.end && !grab_chunk(t)) {
    t.meta->dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  Event* e = t.cur++;
  e->task = task;
  e->arg = arg;
  e->kind = k;
  e->detail = detail;
  // Last, with release: a reader that sees the time sees the rest of the event.
  std::atomic_ref<std::int64_t>(e->ts).store(now, std::memory_order_release);
}

TaskId current() noexcept {
  return me.number == session_number.load(std::memory_order_relaxed) ? me.current : 0;
}

TaskId fresh_id() noexcept {
  // High bit set: never an address in user space, never a coroutine task's small id.
  return (std::uint64_t{1} << 63) | next_id.fetch_add(1, std::memory_order_relaxed);
}

const char* intern(std::string_view name) {
  // Never destroyed: a pool thread may name itself while the process exits.
  static auto* mutex = new std::mutex;
  static auto* names = new std::set<std::string, std::less<>>;
  std::lock_guard lock(*mutex);
  auto it = names->find(name);
  if (it == names->end()) it = names->emplace(name).first;
  return it->c_str();
}

void name_thread(std::string_view name, bool loop) noexcept {
  try {
    me.name = intern(name);
  } catch (...) {
    return;
  }
  me.loop = loop;
  if (me.meta && me.number == session_number.load(std::memory_order_acquire)) {
    me.meta->name.store(me.name, std::memory_order_relaxed);
    me.meta->loop.store(loop, std::memory_order_relaxed);
  }
}

bool on_loop_thread() noexcept {
  return me.loop;
}

LoopScope::LoopScope() noexcept : was_(me.loop), name_(me.name) {
  me.loop = true;
  if (on() && !was_ && me.name == nullptr) name_thread("loop", true);
}

LoopScope::~LoopScope() {
  me.loop = was_;
  me.name = name_;  // the next recording names the thread as it was before
}

std::uint64_t Recording::dropped() const noexcept {
  std::uint64_t n = 0;
  for (const auto& l : lanes) n += l.dropped;
  return n;
}

std::uint64_t Recording::events() const noexcept {
  std::uint64_t n = 0;
  for (const auto& l : lanes) n += l.events.size();
  return n;
}

void start(std::uint64_t capacity) {
#if CMBENCH_TRACE
  auto* s = new Session;  // never freed (see Session): stop() retires it
  map_region(s->region, capacity);
  s->number = session_number.load() + 1;
  s->start_ns = monotonic_ns();
  restart_thread_numbers();
  session.store(s, std::memory_order_release);
  session_number.store(s->number, std::memory_order_release);
  enabled_flag.store(true, std::memory_order_release);
#else
  (void)capacity;
#endif
}

Recording stop() {
  Recording rec;
#if CMBENCH_TRACE
  enabled_flag.store(false, std::memory_order_seq_cst);
  Session* s = session.load(std::memory_order_acquire);
  if (!s) return rec;
  rec.stop_ns = monotonic_ns();
  rec.start_ns = s->start_ns;
  rec.capacity = s->region.chunks * chunk_events;
  std::lock_guard lock(s->mutex);
  rec.lanes = gather(*s, s->region.first_chunk);
  for (auto& l : s->imported) rec.lanes.push_back(std::move(l));
  if (s->import_dropped && !rec.lanes.empty()) rec.lanes.front().dropped += s->import_dropped;
  s->imported.clear();
  give_back(s->region);
  // Kept, not freed (a late hook may still hold it), and reachable: not a leak.
  static auto* retired = new std::vector<Session*>;
  retired->push_back(s);
  session.store(nullptr, std::memory_order_release);
  session_number.store(session_number.load() + 1, std::memory_order_release);
#endif
  return rec;
}

void start_in_child() noexcept {
#if CMBENCH_TRACE
  Session* s = session.load(std::memory_order_acquire);
  if (!s || !on()) return;
  // The child's copy of the session: its own lock (another thread may have held the
  // parent's at the fork), no lanes of the parent's, its chunks after those used so far.
  new (&s->mutex) std::mutex;
  for (auto& l : s->lanes) l.release();  // the parent's; the child never frees them
  s->lanes.clear();
  s->imported.clear();
  s->region.first_chunk = s->region.next_chunk.load(std::memory_order_relaxed);
  s->number = session_number.load() + 1;
  session_number.store(s->number, std::memory_order_release);
  me.number = 0;
#endif
}

// The export format: a header, then per lane its identity, name and events. Native byte
// order: the parent is the same program on the same machine.
namespace {
struct ExportHeader {
  std::uint32_t magic = 0x434d5452;  // "CMTR"
  std::uint32_t lanes = 0;
};
struct ExportLane {
  std::int32_t pid, tid;
  std::uint32_t name_len;
  std::uint8_t loop;
  std::uint64_t dropped, events;
};
template <class T>
void put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
template <class T>
bool take(std::string_view& in, T& v) {
  if (in.size() < sizeof v) return false;
  std::memcpy(&v, in.data(), sizeof v);
  in.remove_prefix(sizeof v);
  return true;
}
}  // namespace

std::string export_child() {
  std::string out;
#if CMBENCH_TRACE
  Session* s = session.load(std::memory_order_acquire);
  if (!s || !on()) return out;
  std::vector<Lane> lanes;
  {
    std::lock_guard lock(s->mutex);
    lanes = gather(*s, s->region.first_chunk);
    for (auto& l : s->imported) lanes.push_back(std::move(l));  // grandchildren
  }
  ExportHeader h;
  h.lanes = static_cast<std::uint32_t>(lanes.size());
  put(out, h);
  for (const auto& l : lanes) {
    ExportLane el{l.pid,  l.tid,     static_cast<std::uint32_t>(l.name.size()),
                  l.loop, l.dropped, l.events.size()};
    put(out, el);
    out += l.name;
    // A task's name is a pointer into this process: it travels as text, each after its
    // event, and the parent interns it again.
    for (Event e : l.events) {
      const char* name = e.kind == Kind::named ? reinterpret_cast<const char*>(e.arg) : nullptr;
      e.arg = name ? std::strlen(name) : e.arg;
      put(out, e);
      if (name) out.append(name, e.arg);
    }
  }
#endif
  return out;
}

void import_child(std::string_view in) noexcept {
#if CMBENCH_TRACE
  Session* s = session.load(std::memory_order_acquire);
  if (!s || in.empty()) return;
  try {
    std::vector<Lane> lanes;
    ExportHeader h;
    bool ok = take(in, h) && h.magic == ExportHeader{}.magic;
    for (std::uint32_t i = 0; ok && i < h.lanes; ++i) {
      ExportLane el;
      if (!take(in, el) || in.size() < el.name_len) {
        ok = false;
        break;
      }
      Lane l;
      l.pid = el.pid;
      l.tid = el.tid;
      l.loop = el.loop;
      l.dropped = el.dropped;
      l.name.assign(in.substr(0, el.name_len));
      in.remove_prefix(el.name_len);
      if (el.events > in.size() / sizeof(Event)) {
        ok = false;
        break;
      }
      l.events.reserve(el.events);
      for (std::uint64_t k = 0; ok && k < el.events; ++k) {
        Event e;
        ok = take(in, e);
        if (ok && e.kind == Kind::named) {
          const std::uint64_t length = e.arg;
          ok = length <= in.size();
          if (ok) {
            e.arg = reinterpret_cast<std::uintptr_t>(intern(in.substr(0, length)));
            in.remove_prefix(length);
          }
        }
        l.events.push_back(e);
      }
      if (!ok) break;
      lanes.push_back(std::move(l));
    }
    std::lock_guard lock(s->mutex);
    if (!ok) {
      ++s->import_dropped;
      return;
    }
    for (auto& l : lanes) s->imported.push_back(std::move(l));
  } catch (...) {
    std::lock_guard lock(s->mutex);
    ++s->import_dropped;
  }
#else
  (void)in;
#endif
}

}  // namespace cmbench::trace
