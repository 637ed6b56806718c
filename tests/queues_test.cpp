// The bounded queues of the models that had none: threads::Queue (queue.Queue),
// processes::Queue (multiprocessing.Queue), futures::Queue (tornado.queues.Queue) and
// callbacks::DeferredQueue (Twisted's). Each keeps its items in order, never holds more
// than its bound, and waits (or refuses) the way its framework does.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "models/callbacks/deferred_queue.hpp"
#include "models/futures/queues.hpp"
#include "models/processes/process.hpp"
#include "models/processes/queue.hpp"
#include "models/threads/queue.hpp"

using namespace cmbench;
using namespace std::chrono_literals;

TEST(ThreadsQueue, KeepsOrderAndItsBoundAcrossThreads) {
  threads::Queue<int> q(3);
  std::atomic<std::size_t> deepest{0};
  std::jthread producer([&] {
    for (int i = 0; i < 1000; ++i) {
      q.put(i);
      std::size_t now = q.qsize(), seen = deepest.load();
      while (now > seen && !deepest.compare_exchange_weak(seen, now)) {
      }
    }
  });
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(q.get(), i);
    q.task_done();
  }
  producer.join();
  EXPECT_LE(deepest.load(), 3u);
  q.join();  // every item done: returns at once
  EXPECT_THROW(q.task_done(), std::logic_error);
}

TEST(ThreadsQueue, NowaitAndTimedFormsRaiseFullAndEmpty) {
  threads::Queue<int> q(1);
  EXPECT_THROW(q.get_nowait(), threads::Empty);
  EXPECT_THROW(q.get(5ms), threads::Empty);
  q.put_nowait(1);
  EXPECT_TRUE(q.full());
  EXPECT_THROW(q.put_nowait(2), threads::Full);
  EXPECT_THROW(q.put(2, 5ms), threads::Full);
  EXPECT_EQ(q.get_nowait(), 1);
}

TEST(ThreadsQueue, JoinWaitsForTaskDone) {
  threads::Queue<int> q;
  q.put(1);
  std::atomic<bool> joined{false};
  std::jthread waiter([&] {
    q.join();
    joined = true;
  });
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(joined.load());
  q.get();
  q.task_done();
  waiter.join();
  EXPECT_TRUE(joined.load());
}

TEST(ProcessesQueue, CarriesItemsInOrderBetweenProcessesWithinItsBound) {
  processes::Queue<int> q(4);
  processes::Process<int> child([&] {
    for (int i = 0; i < 500; ++i) q.put(i);
    return 0;
  });
  std::size_t deepest = 0;
  for (int i = 0; i < 500; ++i) {
    deepest = std::max(deepest, q.qsize());
    EXPECT_EQ(q.get(5s), i);
  }
  EXPECT_EQ(child.join(), 0);
  EXPECT_LE(deepest, 4u);
  EXPECT_EQ(q.qsize(), 0u);
}

TEST(ProcessesQueue, ABlockedPutWaitsForAGetInAnotherProcess) {
  processes::Queue<int> q(1);
  q.put(1);
  EXPECT_THROW(q.put(2, 5ms), processes::Full);
  processes::Process<int> child([&] { return q.get(5s); });  // makes room
  q.put(2, 5s);
  EXPECT_EQ(child.join(), 1);
  EXPECT_EQ(q.get(5s), 2);
  EXPECT_THROW(q.get(5ms), processes::Empty);
  EXPECT_THROW(processes::Queue<int>(0), std::invalid_argument);
}

TEST(FuturesQueue, APutWaitsForRoomAndAGetForAnItem) {
  futures::Queue<int> q(2);
  EXPECT_TRUE(q.put(1).done());
  EXPECT_TRUE(q.put(2).done());
  futures::Future<void> third = q.put(3);  // full: held with its item
  EXPECT_FALSE(third.done());
  EXPECT_EQ(q.qsize(), 2u);
  EXPECT_THROW(q.put_nowait(4), futures::QueueFull);
  EXPECT_EQ(q.get().result(), 1);  // makes room: the third goes in
  EXPECT_TRUE(third.done());
  EXPECT_EQ(q.qsize(), 2u);
  EXPECT_EQ(q.get_nowait(), 2);
  EXPECT_EQ(q.get().result(), 3);
  futures::Future<int> waiting = q.get();
  EXPECT_FALSE(waiting.done());
  EXPECT_TRUE(q.put(7).done());  // handed to the waiting get
  EXPECT_EQ(waiting.result(), 7);
  EXPECT_EQ(q.qsize(), 0u);
  EXPECT_THROW(q.get_nowait(), futures::QueueEmpty);
}

TEST(FuturesQueue, JoinResolvesOnceEveryItemIsDone) {
  futures::Queue<int> q(1);
  q.put(1);
  futures::Future<void> held = q.put(2);
  futures::Future<void> joined = q.join();
  EXPECT_FALSE(joined.done());
  q.get();
  q.task_done();
  EXPECT_FALSE(joined.done());  // the held item went in and is not done yet
  q.get();
  q.task_done();
  EXPECT_TRUE(joined.done());
  EXPECT_THROW(q.task_done(), std::logic_error);
}

TEST(DeferredQueue, PutNeverWaitsAndOverflowsPastItsSize) {
  callbacks::DeferredQueue<int> q(2, 1);
  q.put(1);
  q.put(2);
  EXPECT_THROW(q.put(3), callbacks::QueueOverflow);
  std::vector<int> got;
  q.get().add_callback([&](int v) { got.push_back(v); });
  q.get().add_callback([&](int v) { got.push_back(v); });
  EXPECT_EQ(got, (std::vector<int>{1, 2}));
  q.get().add_callback([&](int v) { got.push_back(v); });  // waits: the backlog is one
  EXPECT_THROW((void)q.get(), callbacks::QueueUnderflow);
  EXPECT_EQ(q.waiting(), 1u);
  q.put(3);  // straight to the waiting get
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(q.size(), 0u);
}
