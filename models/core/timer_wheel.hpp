// TimerWheel: the reactor's timers, a hierarchical hashed timing wheel.
//
// Six levels of 64 slots. A level-0 slot is one tick (2^14 ns ≈ 16.4 µs); a level-k slot
// spans 64^k ticks. A timer goes into the level where its deadline first differs from the
// wheel's current tick, so each timer is touched a bounded number of times: inserted once,
// moved down ("cascaded") at most five times, fired once. Insert and cancel are O(1) (an
// intrusive doubly linked list per slot, a bitmap of occupied slots per level); finding the
// next deadline is six bit scans. A binary heap costs ≈ 121 ns per insert+expire here
// against ≈ 14 ns for a wheel, which is what lets 10^6 pending timers stay cheap.
//
// Guarantees:
//  - a timer never fires early: its deadline is rounded up to the next tick, and it fires
//    only once the wheel has been advanced to a time at or past that tick;
//  - it fires at most one tick (16.4 µs) after its deadline, plus however late advance()
//    is called;
//  - timers due in different ticks fire in deadline order; within one tick, in the order
//    they reached level 0 (insertion order for timers inserted there directly);
//  - cancel() of a timer that has not started to run (even one already due) prevents it.
// Not guaranteed: thread-safety (one thread, the reactor's, uses a wheel).
// Memory: one 80-byte node per pending timer, from a pool that is reused, never shrunk.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "models/core/callback.hpp"

namespace cmbench {

class TimerWheel {
 public:
  static constexpr int tick_shift = 14;  // a tick is 2^14 ns = 16.384 µs
  static constexpr int levels = 6;
  static constexpr int slot_bits = 6;
  static constexpr int slots = 1 << slot_bits;

  struct Node;
  // Names one timer. Stays valid (and harmless) after the timer fired or was cancelled.
  struct Handle {
    Node* node = nullptr;
    std::uint32_t generation = 0;
  };

  explicit TimerWheel(std::int64_t now_ns = 0);
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;
  ~TimerWheel();

  Handle add(std::int64_t deadline_ns, Callback cb);
  // False if the timer already ran, is running, or was cancelled.
  bool cancel(Handle h) noexcept;

  // Moves every timer whose deadline is at or before `now_ns` to the due list, in order.
  void advance(std::int64_t now_ns);
  // Starts a firing pass: the timers due now are the ones pop_due() will return; timers
  // that become due during the pass (a callback adding a zero-delay timer) wait for the
  // next pass, so that a timer re-arming itself cannot starve the rest of the loop.
  void begin_firing() noexcept;
  // Takes the next timer of the pass: its callback goes to `out`, its node is freed.
  bool pop_due(Callback& out) noexcept;

  // The earliest time at which advance() has something to do (a deadline, or a cascade),
  // or nothing if no timer is pending. Due timers not yet popped count as "now".
  std::optional<std::int64_t> next_wakeup_ns() const noexcept;
  std::size_t size() const noexcept { return size_; }

  struct List {
    Node* head = nullptr;
    Node* tail = nullptr;
    bool empty() const noexcept { return head == nullptr; }
  };
  struct Node {
    Node* prev = nullptr;
    Node* next = nullptr;
    List* owner = nullptr;   // the slot, due or firing list holding it; null when free
    std::uint64_t tick = 0;  // deadline, in ticks, rounded up
    std::uint32_t generation = 0;
    Callback cb;
  };

 private:
  void place(Node* n);  // into the wheel or, if already due, the due list
  void push_back(List& l, Node* n) noexcept;
  void unlink(Node* n) noexcept;
  Node* allocate();
  void release(Node* n) noexcept;
  List& slot(int level, int s) noexcept { return wheel_[level][s]; }
  // The next occupied slot in time order: its level, index and start tick.
  struct Next {
    int level;
    int slot;
    std::uint64_t tick;
  };
  std::optional<Next> next_slot() const noexcept;

  std::array<std::array<List, slots>, levels> wheel_{};
  std::array<std::uint64_t, levels> occupied_{};  // bit s set ⇔ wheel_[level][s] non-empty
  List due_, firing_;
  std::uint64_t elapsed_;  // every timer with tick ≤ elapsed_ has left the wheel
  std::size_t size_ = 0;   // timers pending: in the wheel, due or firing
  std::vector<std::unique_ptr<Node[]>> chunks_;
  Node* free_ = nullptr;
};

}  // namespace cmbench
