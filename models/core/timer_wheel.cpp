#include "timer_wheel.hpp"

#include <bit>

namespace cmbench {
namespace {

constexpr std::uint64_t slot_mask = TimerWheel::slots - 1;
constexpr int max_level = TimerWheel::levels - 1;
// Ticks the whole wheel spans from now; a later deadline is parked in the top level and
// moved again when its slot comes round (it never fires from there).
constexpr std::uint64_t max_span =
    (std::uint64_t{1} << (TimerWheel::levels * TimerWheel::slot_bits)) - 1;

std::uint64_t to_tick_up(std::int64_t ns) {
  if (ns <= 0) return 0;
  constexpr std::int64_t tick = std::int64_t{1} << TimerWheel::tick_shift;
  return static_cast<std::uint64_t>((ns + tick - 1) >> TimerWheel::tick_shift);
}

std::uint64_t to_tick_down(std::int64_t ns) {
  return ns <= 0 ? 0 : static_cast<std::uint64_t>(ns) >> TimerWheel::tick_shift;
}

}  // namespace

TimerWheel::TimerWheel(std::int64_t now_ns) : elapsed_(to_tick_down(now_ns)) {}

TimerWheel::~TimerWheel() {
  // Callbacks of timers that never ran are destroyed with their nodes.
  for (auto& chunk : chunks_)
    for (std::size_t i = 0; i < 1024; ++i) chunk[i].cb.reset();
}

TimerWheel::Node* TimerWheel::allocate() {
  if (!free_) {
    constexpr std::size_t n = 1024;
    chunks_.push_back(std::make_unique<Node[]>(n));
    for (std::size_t i = n; i-- > 0;) {
      chunks_.back()[i].next = free_;
      free_ = &chunks_.back()[i];
    }
  }
  Node* n = free_;
  free_ = n->next;
  n->next = nullptr;
  return n;
}

void TimerWheel::release(Node* n) noexcept {
  ++n->generation;  // every Handle to it is now stale
  n->owner = nullptr;
  n->prev = nullptr;
  n->next = free_;
  free_ = n;
  --size_;
}

void TimerWheel::push_back(List& l, Node* n) noexcept {
  n->owner = &l;
  n->prev = l.tail;
  n->next = nullptr;
  (l.tail ? l.tail->next : l.head) = n;
  l.tail = n;
}

void TimerWheel::unlink(Node* n) noexcept {
  List& l = *n->owner;
  (n->prev ? n->prev->next : l.head) = n->next;
  (n->next ? n->next->prev : l.tail) = n->prev;
  n->prev = n->next = nullptr;
  n->owner = nullptr;
  if (l.empty() && &l >= &wheel_[0][0] && &l <= &wheel_[max_level][slots - 1]) {
    auto index = static_cast<std::size_t>(&l - &wheel_[0][0]);
    occupied_[index / slots] &= ~(std::uint64_t{1} << (index % slots));
  }
}

void TimerWheel::place(Node* n) {
  if (n->tick <= elapsed_) {
    push_back(due_, n);
    return;
  }
  // The level is where the deadline's base-64 digits first differ from now's: every slot
  // below it on the way to the deadline belongs to the current rotation of that level.
  std::uint64_t when = n->tick - elapsed_ > max_span ? elapsed_ + max_span : n->tick;
  std::uint64_t differing = (elapsed_ ^ when) | slot_mask;
  int level = std::min((63 - std::countl_zero(differing)) / slot_bits, max_level);
  int s = static_cast<int>((when >> (level * slot_bits)) & slot_mask);
  push_back(slot(level, s), n);
  occupied_[level] |= std::uint64_t{1} << s;
}

TimerWheel::Handle TimerWheel::add(std::int64_t deadline_ns, Callback cb) {
  Node* n = allocate();
  n->tick = to_tick_up(deadline_ns);
  n->cb = std::move(cb);
  ++size_;
  place(n);
  return {n, n->generation};
}

bool TimerWheel::cancel(Handle h) noexcept {
  if (!h.node || h.node->generation != h.generation || !h.node->owner) return false;
  unlink(h.node);
  h.node->cb.reset();
  release(h.node);
  return true;
}

std::optional<TimerWheel::Next> TimerWheel::next_slot() const noexcept {
  std::optional<Next> best;
  for (int level = max_level; level >= 0; --level) {  // ties go to the higher level: cascade first
    if (!occupied_[level]) continue;
    const int shift = level * slot_bits;
    const int now_slot = static_cast<int>((elapsed_ >> shift) & slot_mask);
    // The first occupied slot at or after now's, wrapping round the level.
    int ahead = std::countr_zero(std::rotr(occupied_[level], now_slot));
    int s = (now_slot + ahead) & static_cast<int>(slot_mask);
    std::uint64_t level_start = elapsed_ & ~((std::uint64_t{1} << (shift + slot_bits)) - 1);
    std::uint64_t tick = level_start + (std::uint64_t(s) << shift);
    if (s < now_slot) tick += std::uint64_t{1} << (shift + slot_bits);
    if (!best || tick < best->tick) best = Next{level, s, tick};
  }
  return best;
}

void TimerWheel::advance(std::int64_t now_ns) {
  const std::uint64_t now = to_tick_down(now_ns);
  while (auto next = next_slot()) {
    if (next->tick > now) break;
    elapsed_ = std::max(elapsed_, next->tick);
    List taken = slot(next->level, next->slot);
    slot(next->level, next->slot) = {};
    occupied_[next->level] &= ~(std::uint64_t{1} << next->slot);
    for (Node* n = taken.head; n;) {
      Node* following = n->next;
      place(n);  // level 0: due now; higher levels: one level closer to firing
      n = following;
    }
  }
  elapsed_ = std::max(elapsed_, now);
}

void TimerWheel::begin_firing() noexcept {
  // Splice the due list onto the end of the firing list (normally empty).
  if (due_.empty()) return;
  for (Node* n = due_.head; n; n = n->next) n->owner = &firing_;
  if (firing_.tail) {
    firing_.tail->next = due_.head;
    due_.head->prev = firing_.tail;
  } else {
    firing_.head = due_.head;
  }
  firing_.tail = due_.tail;
  due_ = {};
}

bool TimerWheel::pop_due(Callback& out) noexcept {
  Node* n = firing_.head;
  if (!n) return false;
  unlink(n);
  out = std::move(n->cb);
  release(n);
  return true;
}

std::optional<std::int64_t> TimerWheel::next_wakeup_ns() const noexcept {
  if (!due_.empty() || !firing_.empty()) return static_cast<std::int64_t>(elapsed_ << tick_shift);
  auto next = next_slot();
  if (!next) return std::nullopt;
  return static_cast<std::int64_t>(next->tick << tick_shift);
}

}  // namespace cmbench
