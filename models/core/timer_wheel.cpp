#include "timer_wheel.hpp"

#include <bit>
#include <utility>

namespace cmbench {
namespace {

constexpr int max_level = TimerWheel::levels - 1;
constexpr int bits_of(int level) {
  return level == 0 ? TimerWheel::level0_bits : TimerWheel::upper_bits;
}
// The tick bit where a level's slot number starts, and the level's first slot in wheel_.
constexpr int shift_of(int level) {
  return level == 0 ? 0 : TimerWheel::level0_bits + (level - 1) * TimerWheel::upper_bits;
}
constexpr int first_slot(int level) {
  return level == 0 ? 0
                    : (1 << TimerWheel::level0_bits) + (level - 1) * (1 << TimerWheel::upper_bits);
}
// Ticks the whole wheel spans from now; a later deadline is parked in the top level and
// moved again when its slot comes round (it never fires from there).
constexpr std::uint64_t max_span = (std::uint64_t{1} << shift_of(TimerWheel::levels)) - 1;

std::uint64_t to_tick_up(std::int64_t ns) {
  if (ns <= 0) return 0;
  constexpr std::int64_t tick = std::int64_t{1} << TimerWheel::tick_shift;
  return static_cast<std::uint64_t>((ns + tick - 1) >> TimerWheel::tick_shift);
}

std::uint64_t to_tick_down(std::int64_t ns) {
  return ns <= 0 ? 0 : static_cast<std::uint64_t>(ns) >> TimerWheel::tick_shift;
}

// Set once this thread's spares are destroyed. A wheel whose owner was registered for
// destruction before the spares (a `thread_local std::unique_ptr` filled later, as
// IOLoop::current() does) is destroyed after them: its blocks are then freed outright, not
// handed to a list that is gone. A plain bool, so that it can be read after that.
constinit thread_local bool spares_gone = false;

}  // namespace

TimerWheel::TimerWheel(std::int64_t now_ns) : elapsed_(to_tick_down(now_ns)) {
  // Touched here so that the thread's spares are constructed before this wheel and
  // destroyed after it, even when the wheel is itself thread_local (EventLoop::current()):
  // otherwise its blocks went back to spares already gone, and leaked at thread exit.
  static_cast<void>(spares_.head);
}

TimerWheel::~TimerWheel() {
  for (auto& s : wheel_) free_chain(s.head);
  free_chain(due_.head);
  // The current firing block may be partly popped: its popped entries are already empty.
  free_chain(firing_.head);
}

thread_local TimerWheel::Spares TimerWheel::spares_;

TimerWheel::Spares::~Spares() {
  while (head) delete std::exchange(head, head->next);
  spares_gone = true;
}

TimerWheel::Block* TimerWheel::new_block() {
  Block* b = spares_gone ? nullptr : spares_.head;
  if (b)
    spares_.head = b->next;
  else
    b = new Block;
  b->next = nullptr;
  b->count = 0;
  return b;
}

void TimerWheel::push(Slot& s, Entry&& e) {
  if (!s.tail || s.tail->count == block_entries) {
    Block* b = new_block();
    (s.tail ? s.tail->next : s.head) = b;
    s.tail = b;
  }
  ::new (static_cast<void*>(s.tail->at(s.tail->count++))) Entry(std::move(e));
}

void TimerWheel::free_chain(Block* b) noexcept {
  while (b) {
    Block* next = b->next;
    for (std::size_t i = 0; i < b->count; ++i) b->at(i)->~Entry();
    if (spares_gone) {
      delete b;
    } else {
      b->count = 0;
      b->next = spares_.head;
      spares_.head = b;
    }
    b = next;
  }
}

void TimerWheel::retire(std::uint32_t id) noexcept {
  ++generations_[id];  // every Handle and Entry naming this generation is now stale
  free_ids_.push_back(id);
  --live_;
}

void TimerWheel::place(Entry&& e) {
  if (e.tick <= elapsed_) {
    push(due_, std::move(e));
    return;
  }
  // The level is where the deadline's base-64 digits first differ from now's: every slot
  // below it on the way to the deadline belongs to the current rotation of that level.
  std::uint64_t when = e.tick - elapsed_ > max_span ? elapsed_ + max_span : e.tick;
  // Level 0 is a ring: any deadline less than 1 024 ticks ahead goes there, in slot
  // tick mod 1 024 (a slot behind now's belongs to the next turn of the ring). Only longer
  // waits go up, by the highest base-64 digit in which they differ from now.
  int level = 0;
  if (when - elapsed_ >= (std::uint64_t{1} << level0_bits)) {
    int high = 63 - std::countl_zero(elapsed_ ^ when);
    level = std::min(1 + (high - level0_bits) / upper_bits, max_level);
  }
  int i = first_slot(level) +
          static_cast<int>((when >> shift_of(level)) & ((std::uint64_t{1} << bits_of(level)) - 1));
  push(wheel_[i], std::move(e));
  mark(i, true);
}

TimerWheel::Handle TimerWheel::add(std::int64_t deadline_ns, Callback cb) {
  std::uint32_t id;
  if (free_ids_.empty()) {
    // Room for every id to come back without allocating: retire() runs while timers fire
    // and is noexcept. Under a memory cap its push_back threw std::bad_alloc, and the
    // process ended in std::terminate instead of failing the run with the reason.
    if (free_ids_.capacity() <= generations_.size())
      free_ids_.reserve(std::max<std::size_t>(64, 2 * (generations_.size() + 1)));
    id = static_cast<std::uint32_t>(generations_.size());
    generations_.push_back(0);
  } else {
    id = free_ids_.back();
    free_ids_.pop_back();
  }
  std::uint32_t generation = generations_[id];
  try {
    place(Entry{to_tick_up(deadline_ns), id, generation, std::move(cb)});
  } catch (...) {  // out of memory for the slot: the id goes back unused
    free_ids_.push_back(id);
    throw;
  }
  ++live_;
  return {id, generation};
}

bool TimerWheel::cancel(Handle h) noexcept {
  if (h.id >= generations_.size() || generations_[h.id] != h.generation) return false;
  retire(h.id);  // its entry stays where it is, stale, until its slot is visited
  ++stale_;
  // Timers cancelled long before their deadline (timeouts that did not fire) would pile
  // up as stale entries: once they outnumber the live timers, sweep them out. Each sweep
  // visits every entry, and happens after at least as many cancellations: O(1) amortised.
  if (stale_ > 1024 && stale_ > live_) compact();
  return true;
}

void TimerWheel::compact() noexcept {
  auto sweep = [this](Slot& s) {
    Slot old = s;
    s = {};
    for (Block* b = old.head; b; b = b->next)
      for (std::size_t k = 0; k < b->count; ++k)
        if (Entry& e = *b->at(k); is_live(e)) push(s, std::move(e));
    free_chain(old.head);
  };
  for (int i = 0; i < total_slots; ++i) {
    if (wheel_[i].empty()) continue;
    sweep(wheel_[i]);
    mark(i, !wheel_[i].empty());
  }
  sweep(due_);
  // The firing list is left alone: its stale entries are skipped as it is popped.
  stale_ = 0;
  for (Block* b = firing_.head; b; b = b->next)
    for (std::size_t k = (b == firing_.head ? firing_at_ : 0); k < b->count; ++k)
      stale_ += !is_live(*b->at(k));
}

int TimerWheel::first_occupied(int from, int to) const noexcept {
  for (int i = from; i < to;) {
    std::uint64_t word = occupied_[i >> 6] >> (i & 63);
    if (word) {
      int found = i + std::countr_zero(word);
      return found < to ? found : -1;
    }
    i = ((i >> 6) + 1) << 6;
  }
  return -1;
}

std::optional<TimerWheel::Next> TimerWheel::next_slot() const noexcept {
  std::optional<Next> best;
  for (int level = max_level; level >= 0; --level) {  // ties go to the higher level: cascade first
    const int shift = shift_of(level), n = 1 << bits_of(level), base = first_slot(level);
    const int now_slot = static_cast<int>((elapsed_ >> shift) & std::uint64_t(n - 1));
    // The first occupied slot at or after now's, wrapping round the level.
    int s = first_occupied(base + now_slot, base + n);
    bool wrapped = false;
    if (s < 0) {
      s = first_occupied(base, base + now_slot);
      wrapped = true;
    }
    if (s < 0) continue;
    s -= base;
    const int top = shift + bits_of(level);
    std::uint64_t level_start = elapsed_ & ~((std::uint64_t{1} << top) - 1);
    std::uint64_t tick = level_start + (std::uint64_t(s) << shift);
    if (wrapped) tick += std::uint64_t{1} << top;
    if (!best || tick < best->tick) best = Next{level, s, tick};
  }
  return best;
}

void TimerWheel::advance(std::int64_t now_ns) {
  const std::uint64_t now = to_tick_down(now_ns);
  while (auto next = next_slot()) {
    if (next->tick > now) break;
    elapsed_ = std::max(elapsed_, next->tick);
    const int i = first_slot(next->level) + next->slot;
    Slot taken = wheel_[i];
    wheel_[i] = {};
    mark(i, false);
    if (next->level == 0) {
      // A level-0 slot is one tick: all of it is due. Its blocks join the due list as they
      // are, no entry moved (cancelled ones are skipped when popped).
      (due_.tail ? due_.tail->next : due_.head) = taken.head;
      due_.tail = taken.tail;
      continue;
    }
    // From a higher level, each live entry moves one level closer to firing; entries of
    // cancelled timers are dropped here.
    for (Block* b = taken.head; b; b = b->next)
      for (std::size_t k = 0; k < b->count; ++k)
        if (Entry& e = *b->at(k); stale_ == 0 || is_live(e))
          place(std::move(e));
        else
          --stale_;
    free_chain(taken.head);
  }
  elapsed_ = std::max(elapsed_, now);
}

void TimerWheel::begin_firing() noexcept {
  // The newly due go after whatever an unfinished pass left.
  if (due_.empty()) return;
  if (firing_.empty()) {
    firing_ = due_;
    firing_at_ = 0;
  } else {
    firing_.tail->next = due_.head;
    firing_.tail = due_.tail;
  }
  due_ = {};
}

bool TimerWheel::pop_due(Callback& out) noexcept {
  while (Block* b = firing_.head) {
    if (firing_at_ == b->count) {  // block done: recycle it
      firing_.head = b->next;
      if (!firing_.head) firing_.tail = nullptr;
      b->next = nullptr;
      free_chain(b);
      firing_at_ = 0;
      continue;
    }
    Entry& e = *b->at(firing_at_++);
    if (!is_live(e)) {  // cancelled while waiting; destroyed with its block
      --stale_;
      continue;
    }
    retire(e.id);
    out = std::move(e.cb);
    return true;
  }
  return false;
}

std::optional<std::int64_t> TimerWheel::next_wakeup_ns() const noexcept {
  if (!due_.empty() || !firing_.empty()) return static_cast<std::int64_t>(elapsed_ << tick_shift);
  auto next = next_slot();
  if (!next) return std::nullopt;
  return static_cast<std::int64_t>(next->tick << tick_shift);
}

}  // namespace cmbench
