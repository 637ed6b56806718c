// The timing wheel: deadline order across levels, never early, at most a tick late,
// cancellation (also of a due timer), deadlines beyond its span, and 10^6 timers.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "models/core/timer_wheel.hpp"

using namespace cmbench;

namespace {
constexpr std::int64_t tick = std::int64_t{1} << TimerWheel::tick_shift;

// What the reactor does on each turn: advance to now, run what is due.
void fire(TimerWheel& w, std::int64_t now) {
  w.advance(now);
  w.begin_firing();
  for (Callback cb; w.pop_due(cb);) cb();
}
}  // namespace

TEST(TimerWheel, FiresInDeadlineOrderAcrossLevels) {
  TimerWheel w(0);
  std::mt19937_64 rng(42);
  std::vector<std::int64_t> deadlines;
  for (int i = 0; i < 5000; ++i)
    deadlines.push_back(std::int64_t(rng() % (1ull << 40)) * tick / 7 + tick);
  std::vector<std::int64_t> fired;
  for (auto d : deadlines) w.add(d, [&fired, d] { fired.push_back(d); });
  // Advance in uneven steps, as a loop would.
  for (std::int64_t now = 0; w.size() > 0; now += std::int64_t(rng() % (1ull << 38)) + 1) {
    std::size_t before = fired.size();
    fire(w, now);
    for (std::size_t i = before; i < fired.size(); ++i) EXPECT_LE(fired[i], now) << "fired early";
  }
  ASSERT_EQ(fired.size(), deadlines.size());
  // Deadlines in different ticks come out in order.
  for (std::size_t i = 1; i < fired.size(); ++i)
    EXPECT_LE((fired[i - 1] + tick - 1) / tick, (fired[i] + tick - 1) / tick) << i;
}

TEST(TimerWheel, NeverEarlyAndAtMostOneTickLate) {
  for (std::int64_t d : std::vector<std::int64_t>{tick / 3, tick, 5 * tick + 1, 1'000'000,
                                                  10'000'000, 123'456'789}) {
    TimerWheel w(0);
    bool ran = false;
    w.add(d, [&] { ran = true; });
    fire(w, d - 1);
    EXPECT_FALSE(ran) << "deadline " << d << " fired before it";
    fire(w, d + tick);
    EXPECT_TRUE(ran) << "deadline " << d << " not fired a tick after it";
    EXPECT_EQ(w.size(), 0u);
  }
}

TEST(TimerWheel, CancelPreventsFiringAlsoWhenAlreadyDue) {
  TimerWheel w(0);
  int ran = 0;
  auto a = w.add(10 * tick, [&] { ++ran; });
  auto b = w.add(20 * tick, [&] { ++ran; });
  auto c = w.add(20 * tick, [&] { ++ran; });
  EXPECT_TRUE(w.cancel(a));
  EXPECT_FALSE(w.cancel(a)) << "a second cancel must be refused";
  w.advance(30 * tick);  // b and c are due, not yet run
  EXPECT_TRUE(w.cancel(c));
  w.begin_firing();
  for (Callback cb; w.pop_due(cb);) cb();
  EXPECT_EQ(ran, 1);
  EXPECT_FALSE(w.cancel(b)) << "cancelling a timer that ran must be refused";
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, DeadlinesBeyondTheSpanWaitTheirTurn) {
  TimerWheel w(0);
  const std::int64_t far = (std::int64_t{1} << 37) * tick;  // twice the wheel's span
  bool ran = false;
  w.add(far, [&] { ran = true; });
  for (std::int64_t now = 0; now < far; now += far / 16) {
    fire(w, now);
    ASSERT_FALSE(ran) << "fired early at " << now;
  }
  fire(w, far);
  EXPECT_TRUE(ran);
}

TEST(TimerWheel, NextWakeupIsNeverAfterTheEarliestDeadline) {
  TimerWheel w(0);
  EXPECT_FALSE(w.next_wakeup_ns());
  w.add(5'000'000, [] {});
  w.add(3'000'000, [] {});
  ASSERT_TRUE(w.next_wakeup_ns());
  EXPECT_LE(*w.next_wakeup_ns(), 3'000'000 + tick);
}

TEST(TimerWheel, HoldsAndExpiresAMillionTimers) {
  TimerWheel w(0);
  std::size_t ran = 0;
  for (int i = 0; i < 1'000'000; ++i) w.add(10'000'000 + (i % 1000) * 1000, [&] { ++ran; });
  EXPECT_EQ(w.size(), 1'000'000u);
  fire(w, 9'999'999);
  EXPECT_EQ(ran, 0u);
  fire(w, 12'000'000);
  EXPECT_EQ(ran, 1'000'000u);
  EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, ManyCancelledTimeoutsAreSweptAndTheLiveOnesStillFire) {
  // Timeouts cancelled long before their deadline trigger sweeps of stale entries; the
  // timers still live must survive every sweep, in every level and in the due list.
  TimerWheel w(0);
  std::size_t ran = 0;
  std::vector<TimerWheel::Handle> doomed;
  for (int i = 0; i < 50'000; ++i) {
    w.add(std::int64_t(i % 7 + 1) * 1'000'000'000, [&] { ++ran; });  // live: 1 s to 7 s
    doomed.push_back(w.add(60'000'000'000, [] { ADD_FAILURE() << "a cancelled timer ran"; }));
    doomed.push_back(w.add(5'000'000, [] { ADD_FAILURE() << "a cancelled timer ran"; }));
  }
  for (auto h : doomed) ASSERT_TRUE(w.cancel(h));
  EXPECT_EQ(w.size(), 50'000u);
  fire(w, 8'000'000'000);
  EXPECT_EQ(ran, 50'000u);
  EXPECT_EQ(w.size(), 0u);
  fire(w, 61'000'000'000);  // the cancelled 60 s timeouts' slot comes round: nothing runs
}

// A wheel owned through a thread_local filled after first use (as IOLoop::current() keeps
// its loop) is destroyed after the thread's spare blocks: its blocks must be freed, not
// handed to the spares' list. LeakSanitizer (the ASan build) fails this test otherwise.
TEST(TimerWheel, AWheelDestroyedAfterItsThreadsSparesLeaksNoBlock) {
  bool added = false;
  std::thread([&added] {
    thread_local std::unique_ptr<TimerWheel> wheel;
    wheel = std::make_unique<TimerWheel>(0);
    auto h = wheel->add(1'000'000'000, [] {});
    added = wheel->pending(h);
    wheel->add(2'000'000'000, [] {});
  }).join();
  EXPECT_TRUE(added);
}
