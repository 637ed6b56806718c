// TimerWheel: the reactor's timers, a hierarchical hashed timing wheel.
//
// Six levels. Level 0 is a ring of 1 024 slots of one tick (2^14 ns ≈ 16.4 µs) each: every
// timer due within 16.8 ms (the 1 ms and 10 ms waits and timeouts that benchmarks and
// servers use most) goes straight there and is never moved; when its slot comes round, the
// whole slot joins the due list at once. Levels 1 to 5 have 64 slots, each 64 times wider
// than the level below; a longer timer goes into the level of the highest digit in which
// its deadline differs from now, and moves down ("cascades") as time reaches its slot: at
// most five moves, then it fires: O(1) per timer where a binary heap pays O(log n), which
// is what keeps 10^6 pending timers cheap (`cmbench micro` measures both, micro/timers/*).
//
// Memory layout, chosen for 10^6 timers: a slot is a chain of 4 KiB blocks of entries,
// each entry holding its deadline and its callback inline (56 bytes), so
// adding, cascading and firing all walk memory in order, and blocks are recycled through a
// free list (no allocation, no page fault once warm). Two layouts were measured and
// dropped: linked nodes from a free list (reuse scrambled their order, and each cascade
// became a cache miss per timer: ≈ 150 ns per timer by the fourth round of 10^6), and one
// growing array per slot (reallocation and fresh pages on every round: ≈ 200 ns).
// Cancellation does not search the slot: each timer has a generation number in a dense
// table (4 bytes per timer); cancel() bumps it, and the stale entry is dropped when its slot
// is next visited, or by a sweep once stale entries outnumber live timers (so memory stays
// within twice the live timers, whatever the rate of cancelled timeouts).
//
// Guarantees:
//  - a timer never fires early: its deadline is rounded up to the next tick, and it fires
//    only once the wheel has been advanced to a time at or past that tick;
//  - it fires at most one tick (16.4 µs) after its deadline, plus however late advance()
//    is called;
//  - timers due in different ticks fire in deadline order; within one tick, in the order
//    they reached level 0 (insertion order for timers inserted there directly);
//  - cancel() of a timer that has not started to run (even one already due) prevents it;
//    cancel() of one that ran, or of a stale handle, is refused.
// Not guaranteed: thread-safety (one thread, the reactor's, uses a wheel). Memory is kept
// for reuse until the thread ends: 56 bytes per timer at the thread's peak.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "models/core/callback.hpp"

namespace cmbench {

class TimerWheel {
 public:
  static constexpr int tick_shift = 14;  // a tick is 2^14 ns = 16.384 µs
  static constexpr int levels = 6;
  static constexpr int level0_bits = 10;  // 1 024 slots of one tick
  static constexpr int upper_bits = 6;    // 64 slots on every higher level
  static constexpr int total_slots = (1 << level0_bits) + (levels - 1) * (1 << upper_bits);

  // Names one timer. Stays valid (and harmless) after the timer fired or was cancelled.
  struct Handle {
    std::uint32_t id = UINT32_MAX;
    std::uint32_t generation = 0;
  };

  explicit TimerWheel(std::int64_t now_ns = 0);
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;
  ~TimerWheel();

  Handle add(std::int64_t deadline_ns, Callback cb);
  // False if the timer already ran, is running, or was cancelled.
  bool cancel(Handle h) noexcept;
  // True while the timer still waits: false once it has run, is running, or was cancelled.
  bool pending(Handle h) const noexcept {
    return h.id < generations_.size() && generations_[h.id] == h.generation;
  }

  // Moves every timer whose deadline is at or before `now_ns` to the due list, in order.
  void advance(std::int64_t now_ns);
  // Starts a firing pass: the timers due now are the ones pop_due() will return; timers
  // that become due during the pass (a callback adding a zero-delay timer) wait for the
  // next pass, so that a timer re-arming itself cannot starve the rest of the loop.
  void begin_firing() noexcept;
  // Takes the next live timer of the pass into `out`; false when the pass is over.
  bool pop_due(Callback& out) noexcept;

  // The earliest time at which advance() has something to do (a deadline, or a cascade),
  // or nothing if no timer is pending. Due timers not yet popped count as "now".
  std::optional<std::int64_t> next_wakeup_ns() const noexcept;
  std::size_t size() const noexcept { return live_; }

 private:
  struct Entry {
    std::uint64_t tick;  // deadline in ticks, rounded up
    std::uint32_t id;
    std::uint32_t generation;  // live while generations_[id] equals it
    Callback cb;
  };
  static constexpr std::size_t block_entries = 72;  // a block is just under 4 KiB
  struct Block {
    Block* next = nullptr;
    std::size_t count = 0;
    alignas(Entry) std::byte storage[block_entries * sizeof(Entry)];
    Entry* at(std::size_t i) noexcept { return reinterpret_cast<Entry*>(storage) + i; }
  };
  static_assert(sizeof(Entry) == 56 && sizeof(Block) <= 4096, "an entry or a block grew");
  // A FIFO of entries in a chain of blocks.
  struct Slot {
    Block* head = nullptr;
    Block* tail = nullptr;
    bool empty() const noexcept { return head == nullptr; }
  };

  bool is_live(const Entry& e) const noexcept { return generations_[e.id] == e.generation; }
  void retire(std::uint32_t id) noexcept;  // the timer ran or was cancelled: free its id
  void place(Entry&& e);                   // into the wheel or, if already due, the due list
  void push(Slot& s, Entry&& e);
  void free_chain(Block* b) noexcept;  // destroys the entries left in b..., recycles blocks
  void compact() noexcept;             // drops every stale entry outside the firing list
  struct Next {
    int level;
    int slot;
    std::uint64_t tick;
  };
  std::optional<Next> next_slot() const noexcept;

  // Slots of every level in one array: level 0's 1 024, then 64 per higher level.
  std::array<Slot, total_slots> wheel_{};
  std::array<std::uint64_t, total_slots / 64> occupied_{};  // bit i set ⇔ wheel_[i] non-empty
  void mark(int i, bool on) noexcept {
    if (on)
      occupied_[i >> 6] |= std::uint64_t{1} << (i & 63);
    else
      occupied_[i >> 6] &= ~(std::uint64_t{1} << (i & 63));
  }
  int first_occupied(int from, int to) const noexcept;  // in [from, to), or -1
  Slot due_, firing_;
  std::size_t firing_at_ = 0;               // next entry of firing_.head to pop
  std::uint64_t elapsed_;                   // every entry with tick ≤ elapsed_ has left the wheel
  std::size_t live_ = 0;                    // timers added and neither run nor cancelled
  std::size_t stale_ = 0;                   // entries of cancelled timers still in the wheel
  std::vector<std::uint32_t> generations_;  // per id; bumped when the timer runs or is cancelled
  std::vector<std::uint32_t> free_ids_;
  // Recycled blocks are shared by every wheel of the thread and kept until it ends, so a
  // loop made for one run starts with warm memory instead of faulting in fresh pages
  // (≈ 1.4 µs a page here: ≈ 20 ns per timer).
  struct Spares {
    Block* head = nullptr;
    ~Spares();
  };
  static thread_local Spares spares_;
  Block* new_block();
};

}  // namespace cmbench
