// The fibers model (gevent's vocabulary on Boost.Fiber, models/fibers/): greenlets (spawn,
// get, join, kill, joinall), run(), sleep, Timeout, eager spawn, Pool, Queue, Event, scale
// (10^5 live greenlets, 10^6 short-lived ones, the stack pool), and the work-stealing pool.
// Sockets and files are tested in fibers_io_test.cpp.
//
// Conventions: the body of a test runs as the main greenlet of run(). Timing checks are
// semantic, with wide margins ("100 sleeps of 20 ms overlap" is checked against 100·20 ms),
// never a speed. Where the order of two things inside the hub matters, the test makes it
// certain rather than likely (a reactor timer, or greenlets queued in a known order).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/fiber/operations.hpp>
#include <boost/intrusive_ptr.hpp>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "fibers_sanitizers.hpp"
#include "models/fibers/fibers.hpp"

namespace cmbench::fibers {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// How many greenlets the scale tests run. Under the sanitizers every switch and access is
// instrumented: ASan's shadow inflates RSS (the memory per greenlet is reported, not
// checked), and TSan, which cannot tell the greenlets' stacks apart, keeps the frames they
// leave behind on the thread's shadow call stack and hashes all of it at each lock: its
// cost per greenlet grows with the greenlets before it, and so does its memory.
#if defined(__SANITIZE_THREAD__)
constexpr bool sanitized = true;
constexpr int live_greenlets = 1'000, greenlets_in_sequence = 2'000, batches = 4;
#elif defined(__SANITIZE_ADDRESS__)
constexpr bool sanitized = true;
constexpr int live_greenlets = 10'000, greenlets_in_sequence = 20'000, batches = 20;
#else
constexpr bool sanitized = false;
constexpr int live_greenlets = 100'000, greenlets_in_sequence = 1'000'000, batches = 1'000;
#endif

// Every test of this file; fails at once in an ASan build that puts redzones on greenlet stacks.
class FibersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (asan_checks_stack_frames()) GTEST_FAIL() << asan_stack_frames;
  }
};
class Fibers : public FibersTest {};
class FibersGreenlet : public FibersTest {};
class FibersJoinall : public FibersTest {};
class FibersKill : public FibersTest {};
class FibersSleep : public FibersTest {};
class FibersTimeout : public FibersTest {};
class FibersEagerSpawn : public FibersTest {};
class FibersPool : public FibersTest {};
class FibersQueue : public FibersTest {};
class FibersEvent : public FibersTest {};
class FibersRun : public FibersTest {};
class FibersStacks : public FibersTest {};
class FibersScale : public FibersTest {};
class FibersWorkStealing : public FibersTest {};

// Sets a flag when destroyed: observes that a greenlet's stack was unwound (RAII ran).
struct SetOnExit {
  bool& flag;
  ~SetOnExit() { flag = true; }
};

template <class E>
bool holds(const std::exception_ptr& e) {
  if (!e) return false;
  try {
    std::rethrow_exception(e);
  } catch (const E&) {
    return true;
  } catch (...) {
    return false;
  }
}

// Busy for d without blocking: nothing in the hub runs meanwhile (no timer, no greenlet).
void spin_for(std::chrono::nanoseconds d) {
  const auto until = Clock::now() + d;
  while (Clock::now() < until) {
  }
}

Clock::duration since(Clock::time_point start) {
  return Clock::now() - start;
}

// This process's resident memory, from /proc/self/statm (its second field, in pages).
long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

// ---- spawn and get ---------------------------------------------------------------------

TEST_F(Fibers, RunReturnsMainsResult) {
  EXPECT_EQ(run([] { return 42; }), 42);
}

TEST_F(Fibers, SpawnGetResultsAndExceptions) {
  run([] {
    auto ok = spawn([](int a, int b) { return a + b; }, 2, 3);
    auto bad = spawn([]() -> int { throw std::runtime_error("boom"); });
    EXPECT_EQ(ok.get(), 5);
    EXPECT_THROW(bad.get(), std::runtime_error);
    EXPECT_TRUE(ok.successful());
    EXPECT_FALSE(bad.successful());
  });
}

TEST_F(Fibers, SleepsOverlap) {
  auto start = std::chrono::steady_clock::now();
  run([] {
    std::vector<Greenlet<void>> gs;
    for (int i = 0; i < 100; ++i) gs.push_back(spawn([] { sleep(20ms); }));
    joinall(gs);
  });
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST_F(Fibers, RunCallbackThreadsafeRunsOnTheHubThread) {
  std::thread::id ran_on;
  std::atomic<bool> ran{false};
  std::thread other;
  run([&] {
    Hub& hub = get_hub();
    other = std::thread([&] {
      hub.run_callback_threadsafe([&] {
        ran_on = std::this_thread::get_id();
        ran = true;
      });
    });
    while (!ran) sleep(1ms);
  });
  other.join();
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST_F(Fibers, KillAndTimeout) {
  run([] {
    auto g = spawn([] { sleep(10s); });
    sleep();
    g.kill();
    EXPECT_TRUE(g.ready());
    EXPECT_THROW(g.get(), GreenletExit);
    bool timed_out = false;
    try {
      Timeout t(10ms);
      sleep(10s);
    } catch (const TimeoutError&) {
      timed_out = true;
    }
    EXPECT_TRUE(timed_out);
  });
}

TEST_F(Fibers, SocketEcho) {
  run([] {
    auto server = Socket::listen();
    auto peer = spawn([&] {
      Socket c = server.accept();
      char buf[64];
      std::size_t n = c.recv(std::span<char>(buf));
      c.sendall(std::string_view(buf, n));
    });
    Socket s = Socket::connect(server.port());
    s.sendall("hello");
    char buf[64];
    std::size_t n = s.recv(std::span<char>(buf));
    EXPECT_EQ(std::string(buf, n), "hello");
    peer.get();
  });
}

TEST_F(Fibers, WorkStealing) {
  long total = run_work_stealing([] {
    std::vector<Greenlet<long>> parts;
    for (long i = 0; i < 100; ++i) parts.push_back(spawn([i] { return i; }));
    long t = 0;
    for (auto& p : parts) t += p.get();
    return t;
  });
  EXPECT_EQ(total, 4950);
}

TEST_F(FibersGreenlet, GetGivesTheValueOrRaisesTheExceptionWhateverItsType) {
  struct Custom {  // not a std::exception
    int code;
  };
  run([] {
    auto number = spawn([] { return 42; });
    auto text = spawn([](const std::string& s) { return s + "!"; }, std::string("hi"));
    bool ran = false;
    auto nothing = spawn([&ran] { ran = true; });
    auto runtime = spawn([]() -> int { throw std::runtime_error("runtime"); });
    auto range = spawn([] { throw std::out_of_range("range"); });
    auto custom = spawn([]() -> std::string { throw Custom{7}; });
    auto integer = spawn([]() -> double { throw 5; });

    static_assert(std::is_same_v<decltype(number.get()), const int&>);  // kept in the greenlet
    static_assert(std::is_void_v<decltype(nothing.get())>);
    EXPECT_EQ(number.get(), 42);
    EXPECT_EQ(text.get(), "hi!");
    nothing.get();
    EXPECT_TRUE(ran);
    try {
      runtime.get();
      ADD_FAILURE() << "get() of a greenlet that raised returned";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "runtime");
    }
    EXPECT_THROW(range.get(), std::out_of_range);
    try {
      custom.get();
      ADD_FAILURE() << "get() of a greenlet that raised returned";
    } catch (const Custom& c) {
      EXPECT_EQ(c.code, 7);
    }
    EXPECT_THROW(integer.get(), int);
  });
}

TEST_F(FibersGreenlet, GetCanBeCalledAgainAndGivesTheSameValueOrTheSameException) {
  run([] {
    auto ok = spawn([] { return std::string("same"); });
    EXPECT_EQ(ok.get(), "same");
    EXPECT_EQ(ok.get(), "same");
    EXPECT_EQ(&ok.get(), &ok.get());  // the value the greenlet keeps, not a copy

    auto bad = spawn([]() -> int { throw std::runtime_error("once"); });
    const std::runtime_error* first = nullptr;
    try {
      bad.get();
    } catch (const std::runtime_error& e) {
      first = &e;
    }
    ASSERT_NE(first, nullptr);
    try {
      bad.get();
      ADD_FAILURE() << "the second get() returned";
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(&e, first);  // the very exception it raised, again
    }
  });
}

TEST_F(FibersGreenlet, MoveOnlyArgumentsAndResults) {
  run([] {
    auto g = spawn(
        [](std::unique_ptr<int> p) {
          *p += 1;
          return p;
        },
        std::make_unique<int>(41));
    const std::unique_ptr<int>& result = g.get();
    ASSERT_TRUE(result);
    EXPECT_EQ(*result, 42);
    EXPECT_EQ(g.get().get(), result.get());  // get() again: the same object, still owned
  });
}

TEST_F(FibersGreenlet, ArgumentsAreCopiedIntoTheGreenletAtSpawn) {
  run([] {
    std::string word = "before";
    auto g = spawn([](const std::string& w) { return w; }, word);
    word = "after";  // the greenlet has not started yet: it has its own copy
    EXPECT_EQ(g.get(), "before");
  });
}

TEST_F(FibersGreenlet, StateBeforeAndAfterItFinishes) {
  run([] {
    Event go;
    auto ok = spawn([&] {
      go.wait();
      return 1;
    });
    auto bad = spawn([&]() -> int {
      go.wait();
      throw std::runtime_error("bad");
    });
    auto killed = spawn([&] {
      go.wait();
      return 2;
    });
    EXPECT_FALSE(ok.core().started());  // a greenlet starts at the hub's next turn
    EXPECT_FALSE(ok.ready());
    EXPECT_FALSE(ok.successful());
    EXPECT_EQ(ok.exception(), nullptr);
    sleep();
    EXPECT_TRUE(ok.core().started());
    EXPECT_FALSE(ok.ready());
    EXPECT_FALSE(ok.dead());
    EXPECT_FALSE(ok.successful());

    killed.kill();
    go.set();
    ok.join();
    bad.join();
    EXPECT_TRUE(ok.ready());
    EXPECT_TRUE(ok.successful());
    EXPECT_EQ(ok.exception(), nullptr);
    EXPECT_TRUE(bad.ready());
    EXPECT_FALSE(bad.successful());
    EXPECT_TRUE(holds<std::runtime_error>(bad.exception()));
    // Killed counts as finished and successful, though there is no value to get.
    EXPECT_TRUE(killed.ready());
    EXPECT_TRUE(killed.successful());
    EXPECT_TRUE(holds<GreenletExit>(killed.exception()));
    EXPECT_THROW(killed.get(), GreenletExit);
  });
}

TEST_F(FibersGreenlet, AFailureNobodyWaitsForIsReportedAsGeventsHubPrintsIt) {
  std::vector<std::string> lines;
  auto previous = set_greenlet_error_handler([&](std::string_view l) { lines.emplace_back(l); });
  run([] {
    Event go;
    auto forgotten = spawn([&] {
      go.wait();
      throw std::runtime_error("disk full");
    });
    auto joined = spawn([&] {
      go.wait();
      throw std::runtime_error("seen by its joiner");
    });
    auto killed = spawn([&] { go.wait(); });
    sleep();
    killed.kill();
    go.set();
    EXPECT_THROW(joined.get(), std::runtime_error);
    forgotten.join();
    EXPECT_TRUE(holds<std::runtime_error>(forgotten.exception()));  // still kept for get()
  });
  set_greenlet_error_handler(std::move(previous));
  ASSERT_EQ(lines.size(), 1u) << ::testing::PrintToString(lines);
  EXPECT_THAT(lines[0], ::testing::StartsWith("<Greenlet at 0x"));
  EXPECT_THAT(lines[0], ::testing::EndsWith("> failed with std::runtime_error: disk full"));
}

TEST_F(FibersGreenlet, JoinWithATimeoutSaysWhetherItFinished) {
  run([] {
    Event go;
    auto g = spawn([&] { go.wait(); });
    auto start = Clock::now();
    EXPECT_FALSE(g.join(5ms));
    EXPECT_GE(since(start), 5ms);
    go.set();
    EXPECT_TRUE(g.join(5s));
    EXPECT_TRUE(g.join(0ns));  // finished: at once
  });
}

TEST_F(FibersGreenlet, AGreenletJoiningItselfRaisesLogicError) {
  run([] {
    Greenlet<void> self;
    bool raised = false;
    self = spawn([&] {
      try {
        self.join();
      } catch (const std::logic_error&) {
        raised = true;
      }
    });
    self.join();
    EXPECT_TRUE(raised);
  });
}

TEST_F(FibersGreenlet, AHandleOutlivesRunAndKeepsTheResult) {
  Greenlet<int> g;
  run([&] {
    g = spawn([] { return 3; });
    g.join();
  });
  EXPECT_TRUE(g.ready());
  EXPECT_EQ(g.get(), 3);
}

// ---- joinall and killall ---------------------------------------------------------------

TEST_F(FibersJoinall, WaitsForEveryGreenletWhateverOrderTheyFinishIn) {
  run([] {
    std::vector<Greenlet<int>> gs;
    for (int i = 0; i < 10; ++i)
      gs.push_back(spawn([i] {
        sleep(std::chrono::milliseconds(10 - i));  // the last spawned finishes first
        return i;
      }));
    EXPECT_EQ(joinall(gs), 10u);
    for (int i = 0; i < 10; ++i) {
      EXPECT_TRUE(gs[i].ready());
      EXPECT_EQ(gs[i].get(), i);
    }
  });
}

// iwait (gevent.iwait): the greenlets in the order they finish, not the order spawned.
TEST_F(FibersJoinall, IwaitGivesTheGreenletsInTheOrderTheyFinish) {
  run([] {
    std::vector<Greenlet<int>> gs;
    for (int ms : {30, 50, 10})
      gs.push_back(spawn([ms] {
        sleep(std::chrono::milliseconds(ms));
        return ms;
      }));
    std::vector<int> order;
    for (const auto& g : iwait(gs)) {
      EXPECT_TRUE(g.ready());
      order.push_back(g.get());
    }
    EXPECT_THAT(order, ElementsAre(10, 30, 50));
  });
}

TEST_F(FibersJoinall, IwaitGivesTheFinishedFirstAndMayBeLeftEarly) {
  run([] {
    Event never;
    std::vector<Greenlet<int>> gs;
    gs.push_back(spawn([&] {
      never.wait();
      return 0;
    }));
    gs.push_back(spawn([] { return 1; }));
    gs.push_back(spawn([] { return 2; }));
    sleep(0ms);  // 1 and 2 have run
    std::vector<int> order;
    for (const auto& g : iwait(gs)) {
      order.push_back(g.get());
      if (order.size() == 2) break;  // the stuck one is never waited for
    }
    EXPECT_THAT(order, ElementsAre(1, 2));
    EXPECT_FALSE(gs[0].ready());  // leaving the loop left it running
    gs[0].kill();
    EXPECT_THROW(gs[0].get(), GreenletExit);
  });
}

TEST_F(FibersJoinall, WithATimeoutReturnsHowManyHadFinished) {
  run([] {
    Event never;
    std::vector<Greenlet<void>> gs;
    for (int i = 0; i < 3; ++i) gs.push_back(spawn([] {}));
    gs.push_back(spawn([&] { never.wait(); }));
    gs.push_back(spawn([] {}));  // after the stuck one: counted all the same
    auto start = Clock::now();
    EXPECT_EQ(joinall(gs, 20ms), 4u);
    EXPECT_GE(since(start), 20ms);
    EXPECT_LT(since(start), 5s);
    EXPECT_FALSE(gs[3].ready());

    killall(std::span<const Greenlet<void>>(gs));  // gevent.killall
    EXPECT_EQ(joinall(gs, 0ns), 5u);
    EXPECT_THROW(gs[3].get(), GreenletExit);
    gs[0].get();  // the finished ones keep their outcome
  });
}

// ---- kill ------------------------------------------------------------------------------

TEST_F(FibersKill, ASleepingGreenletRaisesGreenletExitWhichIsNotAStdException) {
  static_assert(!std::is_base_of_v<std::exception, GreenletExit>);
  bool cleaned = false, saw_exit = false, caught_as_std = false, went_on = false;
  run([&] {
    auto g = spawn([&] {
      SetOnExit guard{cleaned};
      try {
        sleep(10s);
      } catch (const std::exception&) {  // the usual catch-all does not stop a kill
        caught_as_std = true;
      } catch (const GreenletExit&) {
        saw_exit = true;
        throw;
      }
      went_on = true;
    });
    sleep();  // g is asleep
    auto start = Clock::now();
    g.kill();  // blocks until g has finished
    EXPECT_LT(since(start), 5s);
    EXPECT_TRUE(g.ready());
    EXPECT_THROW(g.get(), GreenletExit);
  });
  EXPECT_TRUE(saw_exit);
  EXPECT_TRUE(cleaned);
  EXPECT_FALSE(caught_as_std);
  EXPECT_FALSE(went_on);
}

TEST_F(FibersKill, AGreenletKilledBeforeItStartsNeverRunsItsBody) {
  bool ran = false, ran_too = false;
  run([&] {
    auto g = spawn([&] {
      ran = true;
      return 1;
    });
    g.kill();
    EXPECT_TRUE(g.ready());
    EXPECT_THROW(g.get(), GreenletExit);

    auto h = spawn([&] { ran_too = true; });
    h.kill(false);
    EXPECT_FALSE(h.ready());  // kill(false) does not wait for its turn to come
    h.join();
    EXPECT_THROW(h.get(), GreenletExit);
  });
  EXPECT_FALSE(ran);
  EXPECT_FALSE(ran_too);
}

TEST_F(FibersKill, AGreenletBlockedAnywhereIsTakenOutOfItsWaitAndLeavesNothingBehind) {
  run([] {
    Event event;
    Queue<int> empty;
    Queue<int> full(1);
    full.put_nowait(0);
    Event never;
    auto stuck = spawn([&] { never.wait(); });
    Pool pool(1);
    pool.spawn([&] { never.wait(); });
    struct Case {
      const char* what;
      std::function<void()> block;
    };
    const std::vector<Case> cases = {
        {"sleep", [] { sleep(10s); }},
        {"Event::wait", [&] { event.wait(); }},
        {"Event::wait(timeout)", [&] { event.wait(10s); }},
        {"Queue::get", [&] { empty.get(); }},
        {"Queue::get(timeout)", [&] { empty.get(10s); }},
        {"Queue::put", [&] { full.put(1); }},
        {"Queue::put(timeout)", [&] { full.put(1, 10s); }},
        {"join", [&] { stuck.join(); }},
        {"join(timeout)", [&] { stuck.join(10s); }},
        {"Pool::spawn", [&] { pool.spawn([] {}); }},
    };
    for (const Case& c : cases) {
      bool returned = false;
      auto g = spawn([&] {
        c.block();
        returned = true;
      });
      sleep();  // g blocks
      EXPECT_FALSE(g.ready()) << c.what;
      auto start = Clock::now();
      g.kill();
      EXPECT_LT(since(start), 5s) << c.what;
      EXPECT_THROW(g.get(), GreenletExit) << c.what;
      EXPECT_FALSE(returned) << c.what;
    }
    // What they waited for has no trace of them: nothing stolen, nothing added.
    empty.put_nowait(5);
    EXPECT_EQ(empty.get_nowait(), 5);
    EXPECT_EQ(full.get_nowait(), 0);
    EXPECT_TRUE(full.empty());
    EXPECT_FALSE(stuck.ready());  // killing a joiner does not kill what it joined
    EXPECT_EQ(pool.running(), 1u);
    event.set();
    never.set();
    stuck.join();
    pool.join();
    EXPECT_EQ(pool.running(), 0u);
  });
}

TEST_F(FibersKill, KillWithoutBlockingReturnsAtOnceAndTheGreenletMayBlockInItsCleanup) {
  run([] {
    bool cleaned = false;
    auto g = spawn([&] {
      try {
        sleep(10s);
      } catch (const GreenletExit&) {
        sleep(2ms);  // the kill is spent: blocking again is allowed
        cleaned = true;
        throw;
      }
    });
    sleep();
    g.kill(false);
    EXPECT_FALSE(g.ready());  // it has only been woken
    g.join();
    EXPECT_TRUE(cleaned);
    EXPECT_THROW(g.get(), GreenletExit);
  });
}

TEST_F(FibersKill, KillingAFinishedGreenletIsANoOp) {
  run([] {
    auto g = spawn([] { return 7; });
    g.join();
    g.kill();
    g.kill(std::runtime_error("late"), false);
    EXPECT_TRUE(g.successful());
    EXPECT_EQ(g.exception(), nullptr);
    EXPECT_EQ(g.get(), 7);
  });
}

TEST_F(FibersKill, KillRaisesTheExceptionGivenAndAGreenletMayCatchIt) {
  run([] {
    auto g = spawn([] { sleep(10s); });
    sleep();
    g.kill(std::runtime_error("stop"));
    EXPECT_FALSE(g.successful());  // an error, unlike GreenletExit
    try {
      g.get();
      ADD_FAILURE() << "get() of a killed greenlet returned";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "stop");
    }

    auto defiant = spawn([]() -> int {
      try {
        sleep(10s);
      } catch (const GreenletExit&) {
        return 5;  // a kill is a request: this one returns a value instead
      }
      return 0;
    });
    sleep();
    defiant.kill();
    EXPECT_TRUE(defiant.successful());
    EXPECT_EQ(defiant.get(), 5);
  });
}

TEST_F(FibersKill, AGreenletKillingItselfRaisesAtOnce) {
  run([] {
    Greenlet<void> self;
    bool went_on = false;
    self = spawn([&] {
      self.kill();
      went_on = true;
    });
    self.join();
    EXPECT_FALSE(went_on);
    EXPECT_THROW(self.get(), GreenletExit);
  });
}

TEST_F(FibersKill, KillFromAnotherThreadRaisesLogicError) {
  run([] {
    auto g = spawn([] { sleep(10s); });
    sleep();
    bool raised = false;
    std::thread other([&] {
      try {
        g.kill();
      } catch (const std::logic_error&) {
        raised = true;
      }
    });
    other.join();  // blocks the hub for a moment: nothing else has to run meanwhile
    EXPECT_TRUE(raised);
    EXPECT_FALSE(g.ready());
    g.kill();
  });
}

// ---- sleep -----------------------------------------------------------------------------

TEST_F(FibersSleep, WaitsAtLeastTheDelay) {
  run([] {
    for (auto d : {1ms, 3ms}) {
      auto start = Clock::now();
      sleep(d);
      EXPECT_GE(since(start), d);
    }
  });
}

TEST_F(FibersSleep, SleepZeroTakesTurnsInFifoOrder) {
  std::string order;
  run([&] {
    std::vector<Greenlet<void>> gs;
    for (char c : {'a', 'b', 'c'})
      gs.push_back(spawn([&order, c] {
        for (int i = 0; i < 3; ++i) {
          order += c;
          sleep();
        }
      }));
    for (int i = 0; i < 3; ++i) {
      order += 'm';
      sleep();  // to the back of the ready queue, behind a, b and c
    }
    joinall(gs);
  });
  EXPECT_EQ(order, "mabcmabcmabc");
}

TEST_F(FibersSleep, GreenletsThatOnlyYieldDoNotStarveTimers) {
  // The hub polls the reactor between turns even when the ready queue never empties.
  run([] {
    bool done = false;
    long yields = 0;
    auto spinner = spawn([&] {
      while (!done && yields < 10'000'000) {
        sleep();
        ++yields;
      }
    });
    auto sleeper = spawn([&] {
      sleep(2ms);
      done = true;
    });
    joinall(std::vector{spinner, sleeper});
    EXPECT_TRUE(done);
    EXPECT_LT(yields, 10'000'000);
  });
}

// sleep(0) with nothing else ready goes through Boost's yield to the dispatcher, whose
// turn polls the reactor: a greenlet alone in the ready queue still lets timers fire.
TEST_F(FibersSleep, SleepZeroAloneInTheReadyQueueStillLetsTimersFire) {
  run([] {
    bool fired = false;
    long yields = 0;
    auto sleeper = spawn([&fired] {
      sleep(1ms);
      fired = true;
    });
    sleep();  // the sleeper parks on its timer: main is alone now
    while (!fired && yields < 50'000'000) {
      sleep();
      ++yields;
    }
    sleeper.join();
    EXPECT_TRUE(fired);
  });
}

// A greenlet woken by an Event set on the hub goes to the back of the ready queue, behind
// the greenlets already ready, and one that yields goes behind it.
TEST_F(FibersSleep, AWokenGreenletQueuesBehindTheReadyOnesAndAYielderBehindIt) {
  std::string order;
  run([&order] {
    Event ev;
    auto w = spawn([&] {
      ev.wait();
      order += 'w';
    });
    auto a = spawn([&] {
      order += 'a';
      ev.set();  // w: behind b
      sleep();   // a: behind w
      order += 'A';
    });
    auto b = spawn([&] { order += 'b'; });
    joinall(std::vector{w, a, b});
  });
  EXPECT_EQ(order, "abwA");
}

TEST_F(FibersSleep, OutsideRunRaisesLogicError) {
  try {
    sleep(1ms);
    ADD_FAILURE() << "sleep(1ms) outside run() returned";
  } catch (const std::logic_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("fibers::sleep"));
  }
}

// ---- Timeout ---------------------------------------------------------------------------

TEST_F(FibersTimeout, ExpiresInsideAnyBlockingCallAndLeavesNothingBehind) {
  run([] {
    Event event;
    Queue<int> empty;
    Queue<int> full(1);
    full.put_nowait(0);
    Event never;
    auto stuck = spawn([&] { never.wait(); });
    Pool pool(1);
    pool.spawn([&] { never.wait(); });
    struct Case {
      const char* what;
      std::function<void()> block;
    };
    const std::vector<Case> cases = {
        {"sleep", [] { sleep(10s); }},        {"Event::wait", [&] { event.wait(); }},
        {"Queue::get", [&] { empty.get(); }}, {"Queue::put", [&] { full.put(1); }},
        {"join", [&] { stuck.join(); }},      {"Pool::spawn", [&] { pool.spawn([] {}); }},
    };
    for (const Case& c : cases) {
      auto start = Clock::now();
      Timeout t(5ms);
      try {
        c.block();
        ADD_FAILURE() << c.what << " returned";
      } catch (const TimeoutError& e) {
        EXPECT_TRUE(e.is(t)) << c.what;
      }
      EXPECT_TRUE(t.expired()) << c.what;
      EXPECT_GE(since(start), 5ms) << c.what;
      EXPECT_LT(since(start), 5s) << c.what;
    }
    empty.put_nowait(5);
    EXPECT_EQ(empty.get_nowait(), 5);
    EXPECT_EQ(full.get_nowait(), 0);
    EXPECT_TRUE(full.empty());
    EXPECT_FALSE(stuck.ready());
    never.set();
    stuck.join();
    pool.join();
  });
}

TEST_F(FibersTimeout, ACancelledTimeoutNeverFires) {
  run([] {
    {
      Timeout t(5ms);
      sleep(1ms);
    }  // left in time: cancelled by its destructor
    {
      Timeout t(5ms);
      t.cancel();
      EXPECT_FALSE(t.expired());
      sleep(20ms);  // past its deadline, in its scope
    }
    sleep(20ms);  // past both deadlines
  });
}

// Which of two nested Timeouts a sleep raised: "inner", "outer", or "none".
std::string which_expired(std::chrono::nanoseconds outer_d, std::chrono::nanoseconds inner_d,
                          std::chrono::nanoseconds sleep_d) {
  std::string who;
  Timeout outer(outer_d);
  Timeout inner(inner_d);
  try {
    sleep(sleep_d);
  } catch (const TimeoutError& e) {
    if (e.is(inner)) who += "inner";
    if (e.is(outer)) who += "outer";
  }
  return who.empty() ? "none" : who;
}

TEST_F(FibersTimeout, NestedTimeoutsSayWhichOneExpired) {
  run([] {
    EXPECT_EQ(which_expired(10s, 5ms, 10s), "inner");
    EXPECT_EQ(which_expired(5ms, 10s, 10s), "outer");
    EXPECT_EQ(which_expired(10s, 10s, 1ms), "none");

    // The usual pattern: the inner handler lets what is not its own through.
    bool outer_caught = false;
    try {
      Timeout outer(5ms);
      try {
        Timeout inner(10s);
        sleep(10s);
      } catch (const TimeoutError& e) {
        if (!e.is(outer)) ADD_FAILURE() << "the inner timeout expired";
        throw;
      }
    } catch (const TimeoutError&) {
      outer_caught = true;
    }
    EXPECT_TRUE(outer_caught);
  });
}

TEST_F(FibersTimeout, AGreenletBusyPastItsDeadlineRaisesAtItsNextBlockingCall) {
  run([] {
    Timeout t(1ms);
    spin_for(5ms);              // never blocks: nothing can interrupt it here
    EXPECT_FALSE(t.expired());  // its timer runs on a hub turn, and there has been none
    auto start = Clock::now();
    try {
      sleep(10s);
      ADD_FAILURE() << "the sleep after the deadline returned";
    } catch (const TimeoutError& e) {
      EXPECT_TRUE(e.is(t));
    }
    EXPECT_LT(since(start), 5s);
  });
}

TEST_F(FibersTimeout, ATimeoutThatExpiresAfterTheWakeUpStillRaisesWhenTheGreenletResumes) {
  // The greenlet is made ready (its Event set) and its Timeout expires before it runs: both
  // happen in one reactor turn, from two timers due together, so the order is certain.
  run([] {
    Event event;
    bool raised = false, returned = false;
    auto g = spawn([&] {
      Timeout t(3ms);
      try {
        event.wait();
        returned = true;
      } catch (const TimeoutError& e) {
        raised = e.is(t);
      }
    });
    sleep();  // g waits
    Hub::current()->engine().call_later(1ms, [&] { event.set(); });
    spin_for(10ms);  // both timers are due by now
    g.join();
    EXPECT_TRUE(raised);
    EXPECT_FALSE(returned);
  });
}

TEST_F(FibersTimeout, AnExpiredTimeoutCancelledBeforeItsErrorIsRaisedNeverRaisesIt) {
  // Boost's own yield is no blocking call of the model: the greenlet goes round the hub
  // (whose turn runs the timer) and comes back without raising what is now pending.
  run([] {
    Timeout t(1ms);
    spin_for(3ms);
    for (int i = 0; i < 3 && !t.expired(); ++i) boost::this_fiber::yield();
    ASSERT_TRUE(t.expired());
    t.cancel();
    sleep(2ms);  // would raise the TimeoutError had cancel() left it pending
  });
}

TEST_F(FibersTimeout, WithTimeoutReturnsTheResultOrRaises) {
  run([] {
    EXPECT_EQ(with_timeout(5s,
                           [] {
                             sleep(1ms);
                             return 7;
                           }),
              7);
    EXPECT_THROW(with_timeout(5ms,
                              [] {
                                sleep(10s);
                                return 0;
                              }),
                 TimeoutError);
    bool ran = false;
    with_timeout(5s, [&] { ran = true; });
    EXPECT_TRUE(ran);
  });
}

TEST_F(FibersTimeout, OutsideAGreenletRaisesLogicError) {
  EXPECT_THROW(Timeout(1ms), std::logic_error);
}

// ---- eager spawn -----------------------------------------------------------------------

// The order in which a parent and its child run: 'c' child starts, 'p' parent goes on
// after spawn(), 'C' child resumes after a yield.
std::string spawn_order(bool eager) {
  std::string order;
  run(
      [&] {
        auto child = spawn([&] {
          order += 'c';
          sleep();
          order += 'C';
        });
        order += 'p';
        child.join();
      },
      RunOptions{.eager_spawn = eager});
  return order;
}

TEST_F(FibersEagerSpawn, TheChildRunsToItsFirstSwitchBeforeSpawnReturns) {
  EXPECT_EQ(spawn_order(true), "cpC");
  EXPECT_EQ(spawn_order(false), "pcC");  // gevent's order: the child at the hub's next turn
  run(
      [] {
        auto g = spawn([] { return 1; });
        EXPECT_TRUE(g.ready());  // it never blocked: finished within spawn()
        EXPECT_EQ(g.get(), 1);
      },
      RunOptions{.eager_spawn = true});
}

// An eager child that yields goes behind its parent, which eager spawn put at the front.
TEST_F(FibersEagerSpawn, AnEagerChildThatYieldsLetsItsParentGoOnFirst) {
  std::string order;
  run(
      [&order] {
        order += 'm';
        auto g = spawn([&order] {
          order += 'a';
          sleep();
          order += 'b';
        });
        order += 'n';
        g.join();
        order += 'e';
      },
      RunOptions{.eager_spawn = true});
  EXPECT_EQ(order, "manbe");
}

// ---- Pool ------------------------------------------------------------------------------

TEST_F(FibersPool, NeverMoreThanItsSizeRunAtOnce) {
  run([] {
    Pool pool(3);
    int inside = 0, most = 0, done = 0;
    for (int i = 0; i < 20; ++i)
      pool.spawn([&] {
        most = std::max(most, ++inside);
        sleep(1ms);
        --inside;
        ++done;
      });
    pool.join();
    EXPECT_EQ(done, 20);
    EXPECT_EQ(most, 3);
    EXPECT_EQ(pool.running(), 0u);
  });
}

TEST_F(FibersPool, SpawnBlocksWhileThePoolIsFull) {
  run([] {
    Pool pool(2);
    Event release;
    pool.spawn([&] { release.wait(); });
    pool.spawn([&] { release.wait(); });
    EXPECT_EQ(pool.running(), 2u);
    EXPECT_EQ(pool.free_count(), 0u);
    bool third_spawned = false;
    auto spawner = spawn([&] {
      pool.spawn([] {});
      third_spawned = true;
    });
    sleep(5ms);
    EXPECT_FALSE(third_spawned);
    release.set();
    spawner.join();
    EXPECT_TRUE(third_spawned);
    pool.join();
    EXPECT_EQ(pool.free_count(), 2u);
  });
}

TEST_F(FibersPool, ASpawnerKilledJustAfterASlotFreedUpPassesTheSlotOn) {
  run([] {
    Pool pool(1);
    Event release;
    pool.spawn([&] { release.wait(); });
    bool b_ran = false;
    auto a = spawn([&] { pool.spawn([] {}); });
    auto b = spawn([&] { pool.spawn([&] { b_ran = true; }); });
    sleep();        // a and b wait for the slot, a first
    release.set();  // the holder is ready, behind this greenlet
    sleep();        // the holder finishes: the slot goes to a, which is ready behind us
    EXPECT_FALSE(a.ready());
    a.kill();
    EXPECT_TRUE(b.join(5s)) << "the slot a was given is lost";
    pool.join();
    EXPECT_TRUE(b_ran);
  });
}

TEST_F(FibersPool, MapGivesTheResultsInTheItemsOrder) {
  run([] {
    Pool pool(4);
    const std::vector<int> items{5, 1, 4, 2, 3, 0};
    auto results = pool.map(
        [](int ms) {
          sleep(std::chrono::milliseconds(ms));  // finishing in another order
          return ms * 10;
        },
        items);
    EXPECT_THAT(results, ElementsAre(50, 10, 40, 20, 30, 0));
    int sum = 0;
    pool.map([&](int x) { sum += x; }, items);
    EXPECT_EQ(sum, 15);
  });
}

TEST_F(FibersPool, MapRaisesTheFirstExceptionInTheItemsOrderOnceAllHaveFinished) {
  run([] {
    Pool pool(8);
    int finished = 0;
    const std::vector<int> items{0, 1, 2, 3, 4, 5, 6, 7};
    try {
      pool.map(
          [&](int i) {
            sleep(i == 1 ? 20ms : 1ms);  // item 4 fails first in time, item 1 in order
            ++finished;
            if (i == 1 || i == 4) throw std::runtime_error("item " + std::to_string(i));
            return i;
          },
          items);
      ADD_FAILURE() << "map returned";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "item 1");
    }
    EXPECT_EQ(finished, 8);
    EXPECT_EQ(pool.running(), 0u);
  });
}

TEST_F(FibersPool, JoinWaitsUntilNoGreenletOfThePoolIsLeft) {
  run([] {
    Pool pool(3);
    pool.join();  // empty: at once
    int done = 0;
    for (int i = 0; i < 10; ++i)
      pool.spawn([&] {
        sleep(1ms);
        ++done;
      });
    pool.join();
    EXPECT_EQ(done, 10);
  });
}

TEST_F(FibersPool, SizeZeroIsInvalid) {
  EXPECT_THROW(Pool(0), std::invalid_argument);
}

// ---- Queue -----------------------------------------------------------------------------

TEST_F(FibersQueue, ItemsComeOutInOrderAndGettersAreServedOldestFirst) {
  run([] {
    Queue<int> q;
    for (int i = 0; i < 5; ++i) q.put(i);
    EXPECT_EQ(q.qsize(), 5u);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(q.get(), i);
    EXPECT_TRUE(q.empty());

    std::vector<int> got;  // getter i appends (i, item)
    std::vector<Greenlet<void>> getters;
    for (int i = 0; i < 3; ++i)
      getters.push_back(spawn([&, i] {
        int item = q.get();
        got.push_back(i);
        got.push_back(item);
      }));
    sleep();  // all three wait, 0 first
    for (int item = 10; item < 13; ++item) q.put_nowait(item);
    joinall(getters);
    EXPECT_THAT(got, ElementsAre(0, 10, 1, 11, 2, 12));
  });
}

TEST_F(FibersQueue, ABoundedQueueBlocksTheProducer) {
  run([] {
    constexpr int n = 100;
    Queue<int> q(2);
    int produced = 0, consumed = 0, most_ahead = 0;
    std::size_t largest = 0;
    auto producer = spawn([&] {
      for (int i = 0; i < n; ++i) {
        q.put(i);
        ++produced;
        largest = std::max(largest, q.qsize());
        most_ahead = std::max(most_ahead, produced - consumed);
      }
    });
    auto consumer = spawn([&] {
      for (int i = 0; i < n; ++i) {
        EXPECT_EQ(q.get(), i);
        ++consumed;
        sleep();  // slower than the producer
      }
    });
    joinall(std::vector{producer, consumer});
    EXPECT_EQ(consumed, n);
    EXPECT_EQ(largest, 2u);    // the producer did fill it, and no further
    EXPECT_LE(most_ahead, 3);  // two in the queue, one taken and not yet counted
  });
}

TEST_F(FibersQueue, NowaitRaisesQueueFullAndQueueEmpty) {
  Queue<int> q(1);  // nothing waits: no hub needed
  EXPECT_EQ(q.maxsize(), 1u);
  EXPECT_THROW(q.get_nowait(), QueueEmpty);
  q.put_nowait(1);
  EXPECT_TRUE(q.full());
  EXPECT_THROW(q.put_nowait(2), QueueFull);
  EXPECT_EQ(q.get_nowait(), 1);
  EXPECT_THROW(q.get_nowait(), QueueEmpty);
  static_assert(std::is_base_of_v<std::runtime_error, QueueFull>);
  static_assert(std::is_base_of_v<std::runtime_error, QueueEmpty>);
}

TEST_F(FibersQueue, MaxsizeZeroIsUnbounded) {
  Queue<int> q(0);
  for (int i = 0; i < 100'000; ++i) q.put_nowait(i);
  EXPECT_FALSE(q.full());
  EXPECT_EQ(q.qsize(), 100'000u);
  EXPECT_EQ(q.get_nowait(), 0);
}

TEST_F(FibersQueue, TimedGetAndPutRaiseAfterTheTimeout) {
  run([] {
    Queue<int> q(1);
    auto start = Clock::now();
    EXPECT_THROW(q.get(5ms), QueueEmpty);
    EXPECT_GE(since(start), 5ms);
    q.put(1, 5ms);  // room: at once
    start = Clock::now();
    EXPECT_THROW(q.put(2, 5ms), QueueFull);
    EXPECT_GE(since(start), 5ms);
    EXPECT_EQ(q.get(5ms), 1);  // the timed-out put added nothing
    EXPECT_TRUE(q.empty());

    // An item that comes in time is returned.
    auto putter = spawn([&] {
      sleep(1ms);
      q.put(3);
    });
    EXPECT_EQ(q.get(5s), 3);
    putter.join();
  });
}

TEST_F(FibersQueue, ManyProducersAndConsumersLoseAndDuplicateNothing) {
  static constexpr int producers = 8, consumers = 8, per_producer = 500;
  run([] {
    Queue<int> q(4);
    std::vector<Greenlet<void>> gs;
    for (int p = 0; p < producers; ++p)
      gs.push_back(spawn([&q, p] {
        for (int i = 0; i < per_producer; ++i) q.put(p * per_producer + i);
      }));
    std::vector<std::vector<int>> got(consumers);
    for (int c = 0; c < consumers; ++c)
      gs.push_back(spawn([&q, &got, c] {
        for (int item; (item = q.get()) >= 0;) {
          got[c].push_back(item);
          if (item % 7 == 0) sleep();
        }
      }));
    joinall(std::span<const Greenlet<void>>(gs.data(), producers));
    for (int c = 0; c < consumers; ++c) q.put(-1);  // one stop sign each
    joinall(gs);

    std::vector<int> all;
    for (const auto& mine : got) {
      // FIFO: what one consumer got from one producer came in that producer's order.
      std::vector<int> last(producers, -1);
      for (int item : mine) {
        EXPECT_GT(item, last[item / per_producer]);
        last[item / per_producer] = item;
      }
      all.insert(all.end(), mine.begin(), mine.end());
    }
    std::sort(all.begin(), all.end());
    ASSERT_EQ(all.size(), std::size_t{producers * per_producer});
    for (int i = 0; i < producers * per_producer; ++i) ASSERT_EQ(all[i], i);
  });
}

TEST_F(FibersQueue, AGetterKilledAfterBeingHandedAnItemPassesTheWakeUpOn) {
  run([] {
    Queue<int> q;
    auto first = spawn([&] { return q.get(); });
    auto second = spawn([&] { return q.get(); });
    sleep();          // both wait, first in line
    q.put_nowait(7);  // wakes first, which has not run yet
    first.kill();     // it raises at its wake-up, and must hand the wake-up to second
    EXPECT_THROW(first.get(), GreenletExit);
    ASSERT_TRUE(second.join(5s)) << "the item was stranded";
    EXPECT_EQ(second.get(), 7);
  });
}

TEST_F(FibersQueue, AGetterWhoseTimeoutExpiresAfterItsWakeUpPassesTheItemOn) {
  // The put and the Timeout are two reactor timers due in the same turn, the put first:
  // the getter is woken, then interrupted, before it runs.
  run([] {
    Queue<int> q;
    auto first = spawn([&] {
      Timeout t(3ms);
      return q.get();
    });
    auto second = spawn([&] { return q.get(); });
    sleep();  // both wait, first in line
    Hub::current()->engine().call_later(1ms, [&] { q.put_nowait(7); });
    spin_for(10ms);
    ASSERT_TRUE(second.join(5s)) << "the item was stranded";
    EXPECT_EQ(second.get(), 7);
    EXPECT_THROW(first.get(), TimeoutError);
  });
}

TEST_F(FibersQueue, APutterKilledAfterASlotFreedUpPassesTheSlotOn) {
  run([] {
    Queue<int> q(1);
    q.put_nowait(0);
    auto first = spawn([&] { q.put(1); });
    auto second = spawn([&] { q.put(2); });
    sleep();                       // both wait for room, first in line
    EXPECT_EQ(q.get_nowait(), 0);  // wakes first
    first.kill();
    ASSERT_TRUE(second.join(5s)) << "the free slot was stranded";
    EXPECT_EQ(q.get_nowait(), 2);
    EXPECT_TRUE(q.empty());
  });
}

// ---- Event -----------------------------------------------------------------------------

TEST_F(FibersEvent, SetClearWaitAndIsSet) {
  run([] {
    Event e;
    EXPECT_FALSE(e.is_set());
    auto start = Clock::now();
    EXPECT_FALSE(e.wait(5ms));  // a timed wait: false if not set in time
    EXPECT_GE(since(start), 5ms);
    e.set();
    EXPECT_TRUE(e.is_set());
    e.wait();  // set: returns at once, as often as asked
    EXPECT_TRUE(e.wait(0ns));
    e.clear();
    EXPECT_FALSE(e.is_set());

    bool woke = false;
    auto waiter = spawn([&] {
      e.wait();
      woke = true;
    });
    sleep();
    EXPECT_FALSE(woke);
    e.set();
    waiter.join();
    EXPECT_TRUE(woke);

    e.clear();
    auto setter = spawn([&] {
      sleep(1ms);
      e.set();
    });
    EXPECT_TRUE(e.wait(5s));  // set in time
    setter.join();
  });
}

TEST_F(FibersEvent, SetWakesEveryWaiterEvenIfClearedAtOnce) {
  static constexpr int n = 1000;
  run([] {
    Event e;
    int woken = 0;
    std::vector<Greenlet<void>> waiters;
    for (int i = 0; i < n; ++i)
      waiters.push_back(spawn([&] {
        e.wait();
        ++woken;
      }));
    sleep();
    EXPECT_EQ(woken, 0);
    e.set();
    e.clear();
    EXPECT_EQ(joinall(waiters, 5s), std::size_t{n});
    EXPECT_EQ(woken, n);
  });
}

// ---- run -------------------------------------------------------------------------------

TEST_F(FibersRun, MainsExceptionPropagatesOutOfRun) {
  try {
    run([]() -> int { throw std::runtime_error("main failed"); });
    ADD_FAILURE() << "run() returned";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "main failed");
  }
  EXPECT_THROW(run([] { throw 3; }), int);
  EXPECT_EQ(Hub::current(), nullptr);  // the hub is gone however main ended
}

TEST_F(FibersRun, GreenletsLeftRunningWhenMainReturnsAreKilled) {
  bool cleaned = false, saw_exit = false, caught_as_std = false;
  Greenlet<void> left;
  run([&] {
    left = spawn([&] {
      SetOnExit guard{cleaned};
      try {
        sleep(10s);
      } catch (const std::exception&) {
        caught_as_std = true;
      } catch (const GreenletExit&) {
        saw_exit = true;
        throw;
      }
    });
    sleep(1ms);
  });
  EXPECT_TRUE(saw_exit);
  EXPECT_TRUE(cleaned);
  EXPECT_FALSE(caught_as_std);
  EXPECT_TRUE(left.ready());
  EXPECT_THROW(left.get(), GreenletExit);

  // A greenlet spawned just before main returns still gets its first turn (as a task that
  // asyncio.run's main creates last does), and is killed where it first blocks.
  bool started = false, finished = false;
  run([&] {
    spawn([&] {
      started = true;
      sleep(10s);
      finished = true;
    });
  });
  EXPECT_TRUE(started);
  EXPECT_FALSE(finished);
}

TEST_F(FibersRun, CanBeCalledManyTimesInARowOnOneThread) {
  long total = 0;
  for (int i = 0; i < 200; ++i)
    total += run([i] {
      auto g = spawn([i] {
        sleep();
        return i;
      });
      sleep(i % 10 == 0 ? 1ms : 0ms);
      return g.get();
    });
  EXPECT_EQ(total, 199 * 200 / 2);
}

TEST_F(FibersRun, TwoThreadsRunTheirOwnHubsAtOnce) {
  long results[2] = {0, 0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&results, t] {
      results[t] = run([] {
        std::vector<Greenlet<long>> gs;
        for (long i = 0; i < 100; ++i)
          gs.push_back(spawn([i] {
            sleep(1ms);
            return i;
          }));
        long sum = 0;
        for (auto& g : gs) sum += g.get();
        return sum;
      });
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(results[0], 4950);
  EXPECT_EQ(results[1], 4950);
}

TEST_F(FibersRun, NestedRunRaisesLogicError) {
  run([] {
    try {
      run([] { return 1; });
      ADD_FAILURE() << "a nested run() returned";
    } catch (const std::logic_error& e) {
      EXPECT_THAT(e.what(), HasSubstr("does not nest"));
    }
    sleep(1ms);  // the outer hub is intact
  });
}

TEST_F(FibersRun, SpawnOutsideRunRaisesLogicErrorSayingWhatToDo) {
  try {
    spawn([] { return 1; });
    ADD_FAILURE() << "spawn outside run() returned";
  } catch (const std::logic_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("fibers::spawn"));
    EXPECT_THAT(e.what(), HasSubstr("fibers::run()"));
  }
}

TEST_F(FibersRun, RunOptionsSetTheStacks) {
  EXPECT_THROW(run([] {}, RunOptions{.stack_size = 1000}), std::invalid_argument);
  int done = run(
      [] {
        EXPECT_EQ(Hub::current()->stacks().stack_size(), 64u * 1024);
        std::vector<Greenlet<int>> gs;
        for (int i = 0; i < 100; ++i)
          gs.push_back(spawn([i] {
            volatile char frame[32 * 1024];  // more than the default 16 KiB stack
            frame[0] = static_cast<char>(i);
            frame[sizeof frame - 1] = 1;
            sleep();
            return frame[0] + frame[sizeof frame - 1];
          }));
        int sum = 0;
        for (auto& g : gs) sum += g.get();
        return sum;
      },
      RunOptions{.stack_size = 64 * 1024, .guard_pages = true});
  EXPECT_EQ(done, 99 * 100 / 2 + 100);
}

// ---- stacks ----------------------------------------------------------------------------

// Whether the page holding `address` is still mapped (msync fails with ENOMEM if not).
bool mapped(std::uintptr_t address) {
  const auto page = address & ~static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE) - 1);
  return ::msync(reinterpret_cast<void*>(page), 1, MS_ASYNC) == 0 || errno != ENOMEM;
}

// Runs a greenlet with stacks of `size` on a thread of its own, and returns an address on
// its stack, once that thread has exited.
std::uintptr_t stack_address_on_a_finished_thread(std::size_t size) {
  std::uintptr_t address = 0;
  std::thread([&] {
    run(
        [&] {
          spawn([&] {
            volatile char local = 1;
            address = reinterpret_cast<std::uintptr_t>(&local);
          }).join();
          EXPECT_TRUE(mapped(address));
        },
        RunOptions{.stack_size = size});
  }).join();
  return address;
}

TEST_F(FibersStacks, TheSlabsAThreadKeepsForItsNextHubAreUnmappedWhenItExits) {
  EXPECT_FALSE(mapped(stack_address_on_a_finished_thread(16 * 1024)));
  EXPECT_FALSE(mapped(stack_address_on_a_finished_thread(64 * 1024)));
}

// A slab holds one stack when stacks are over 1 MiB: the slab cache unmaps it with its real
// length when the thread ends, as it does the 1 MiB slabs of smaller stacks.
TEST_F(FibersStacks, SlabsOfStacksOverAMegabyteAreUnmappedToo) {
  EXPECT_FALSE(mapped(stack_address_on_a_finished_thread(2 << 20)));
}

// ---- scale -----------------------------------------------------------------------------

TEST_F(FibersScale, AHundredThousandLiveGreenletsEachWaitingOnAnEvent) {
  static constexpr int n = live_greenlets;
  double per_greenlet = 0;
  int finished = 0;
  std::size_t live_after = 1, outstanding_after = 1;
  // On a thread of its own: the stacks come from fresh mappings, not from slabs that an
  // earlier hub of this thread left resident for the next one (stack_pool.hpp).
  std::thread([&] {
    boost::intrusive_ptr<Hub> hub;  // kept past run() to look at its stack pool then
    run([&] {
      hub = Hub::current();
      Event go;
      std::vector<Greenlet<void>> gs;
      gs.reserve(n);
      const long before = resident_bytes();
      for (int i = 0; i < n; ++i)
        gs.push_back(spawn([&] {
          go.wait();
          ++finished;
        }));
      sleep();  // each runs once, up to go.wait(), before main's turn comes back
      per_greenlet = static_cast<double>(resident_bytes() - before) / n;
      EXPECT_EQ(finished, 0);
      EXPECT_EQ(hub->live(), std::size_t{n} + 1);  // and main
      EXPECT_EQ(hub->stacks().outstanding(), std::size_t{n} + 1);
      go.set();
      EXPECT_EQ(joinall(gs), std::size_t{n});
    });
    live_after = hub->live();
    outstanding_after = hub->stacks().outstanding();
  }).join();
  EXPECT_EQ(finished, n);
  EXPECT_EQ(live_after, 0u);
  EXPECT_EQ(outstanding_after, 0u);  // run() returned every stack to the pool
  RecordProperty("rss_bytes_per_live_greenlet", std::to_string(per_greenlet));
  std::cout << "[ fibers   ] resident memory per live greenlet: " << per_greenlet / 1024 << " KiB ("
            << n << " greenlets, 16 KiB stacks)\n";
  if (!sanitized) {
    EXPECT_LE(per_greenlet, 8.5 * 1024);
  }
}

TEST_F(FibersScale, AMillionShortLivedGreenletsOneAfterAnotherReuseAFewStacks) {
  static constexpr int n = greenlets_in_sequence;
  std::size_t mapped = 0;
  long total = 0;
  run([&] {
    for (int i = 0; i < n; ++i) total += spawn([i] { return i & 1; }).get();
    mapped = Hub::current()->stacks().mapped_bytes();
  });
  EXPECT_EQ(total, n / 2);
  std::cout << "[ fibers   ] stack slabs mapped after " << n
            << " greenlets in sequence: " << mapped / 1024 << " KiB\n";
  EXPECT_LE(mapped, 4u << 20);
}

TEST_F(FibersScale, AThousandBatchesOfAThousandGreenletsReuseTheFirstBatchsStacks) {
  static constexpr int per_batch = 1000;
  std::size_t after_first = 0, after_all = 0;
  long total = 0;
  run([&] {
    StackPool& stacks = Hub::current()->stacks();
    std::vector<Greenlet<int>> batch;
    batch.reserve(per_batch);
    for (int b = 0; b < batches; ++b) {
      batch.clear();
      for (int i = 0; i < per_batch; ++i) batch.push_back(spawn([i] { return i; }));
      joinall(batch);
      for (auto& g : batch) total += g.get();
      if (b == 0) after_first = stacks.mapped_bytes();
    }
    after_all = stacks.mapped_bytes();
  });
  EXPECT_EQ(total, long{batches} * (per_batch - 1) * per_batch / 2);
  std::cout << "[ fibers   ] stack slabs mapped: " << after_first / 1024
            << " KiB after the first batch of " << per_batch << ", " << after_all / 1024
            << " KiB after " << batches << " batches\n";
  // A batch needs its 1000 stacks (16 MiB) at once; later batches reuse them: one slab
  // more at most (1 MiB of stacks and the page that offsets them, stack_pool.hpp).
  EXPECT_LE(after_all, after_first + (1u << 20) + static_cast<std::size_t>(sysconf(_SC_PAGESIZE)));
  EXPECT_LE(after_all, 20u << 20);
}

// ---- the work-stealing pool ------------------------------------------------------------

TEST_F(FibersWorkStealing, ResultsOfAThousandGreenlets) {
  long total = run_work_stealing([] {
    std::vector<Greenlet<long>> parts;
    for (long i = 0; i < 1000; ++i) parts.push_back(spawn([i] { return i * i; }));
    EXPECT_EQ(joinall(parts), 1000u);
    long t = 0;
    for (auto& p : parts) t += p.get();
    return t;
  });
  EXPECT_EQ(total, 332'833'500);  // the sum of i² for i < 1000
}

TEST_F(FibersWorkStealing, ExceptionsPropagateFromGreenletsAndFromMain) {
  EXPECT_THROW(run_work_stealing([]() -> int { throw std::runtime_error("main"); }),
               std::runtime_error);
  std::string child = run_work_stealing([] {
    auto g = spawn([]() -> int { throw std::out_of_range("child"); });
    try {
      g.get();
    } catch (const std::out_of_range& e) {
      return std::string(e.what());
    }
    return std::string("no exception");
  });
  EXPECT_EQ(child, "child");
  bool ran = false;
  run_work_stealing([&] { ran = true; });  // void main
  EXPECT_TRUE(ran);
}

TEST_F(FibersWorkStealing, EventAndQueueWorkAcrossTheTwoThreads) {
  static constexpr int producers = 4, per_producer = 1000, waiters = 50;
  auto [sum, woken] = run_work_stealing([] {
    Queue<int> q(8);
    std::atomic<long> sum{0};
    std::vector<Greenlet<void>> gs;
    for (int p = 0; p < producers; ++p)
      gs.push_back(spawn([&q] {
        for (int i = 1; i <= per_producer; ++i) q.put(i);
      }));
    for (int c = 0; c < producers; ++c)
      gs.push_back(spawn([&q, &sum] {
        for (int item; (item = q.get()) > 0;) sum += item;
      }));
    Event go;
    std::atomic<int> woken{0};
    for (int w = 0; w < waiters; ++w)
      gs.push_back(spawn([&] {
        go.wait();
        ++woken;
      }));
    auto setter = spawn([&] {
      spin_for(1ms);
      go.set();
    });
    joinall(std::span<const Greenlet<void>>(gs.data(), producers));
    for (int c = 0; c < producers; ++c) q.put(0);  // stop signs
    joinall(gs);
    setter.join();
    return std::pair<long, int>(sum.load(), woken.load());
  });
  EXPECT_EQ(sum, long{producers} * per_producer * (per_producer + 1) / 2);
  EXPECT_EQ(woken, waiters);
}

TEST_F(FibersWorkStealing, GreenletsRunOnBothThreads) {
  // CPU-bound greenlets that never switch. Each notes its thread, then spins until greenlets
  // have run on both threads (or 5 s pass): while the first spins on its thread, the rest
  // can only run if the other thread steals them. So the test does not depend on how soon
  // the second thread wakes on a loaded machine, only on whether it steals at all.
  std::mutex m;
  std::set<std::thread::id> seen;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  auto ran_on = run_work_stealing([&] {
    std::vector<Greenlet<std::thread::id>> parts;
    for (int i = 0; i < 8; ++i)
      parts.push_back(spawn([&] {
        {
          std::lock_guard lock(m);
          seen.insert(std::this_thread::get_id());
        }
        for (;;) {
          {
            std::lock_guard lock(m);
            if (seen.size() >= work_stealing_threads) break;
          }
          if (std::chrono::steady_clock::now() > deadline) break;
          spin_for(50us);
        }
        return std::this_thread::get_id();
      }));
    std::set<std::thread::id> ids;
    for (auto& p : parts) ids.insert(p.get());
    return ids;
  });
  EXPECT_EQ(ran_on.size(), std::size_t{work_stealing_threads}) << "the idle thread never stole";
  EXPECT_EQ(ran_on.count(std::this_thread::get_id()), 0u);  // not on the caller's thread
}

TEST_F(FibersRun, RunWorkStealingInsideRunRaisesLogicError) {
  run([] { EXPECT_THROW(run_work_stealing([] { return 1; }), std::logic_error); });
}

TEST_F(FibersWorkStealing, WhatNeedsTheHubRaisesLogicErrorInThePool) {
  // The names of the calls that did not raise std::logic_error.
  std::vector<std::string> wrong = run_work_stealing([] {
    std::vector<std::string> wrong;
    auto expect_logic_error = [&](const char* what, const std::function<void()>& call) {
      try {
        call();
        wrong.push_back(std::string(what) + " returned");
      } catch (const std::logic_error&) {
      } catch (...) {
        wrong.push_back(std::string(what) + " raised something else");
      }
    };
    Event never;
    auto g = spawn([&] { never.wait(); });
    expect_logic_error("sleep", [] { sleep(1ms); });
    expect_logic_error("Timeout", [] { Timeout t(1ms); });
    expect_logic_error("Event::wait(timeout)", [&] { never.wait(1ms); });
    expect_logic_error("join(timeout)", [&] { g.join(1ms); });
    expect_logic_error("kill", [&] { g.kill(); });
    expect_logic_error("Socket::listen", [] { Socket::listen(); });
    expect_logic_error("read_file", [] { read_file("/dev/null"); });
    expect_logic_error("run", [] { run([] {}); });
    expect_logic_error("run_work_stealing", [] { run_work_stealing([] {}); });
    never.set();
    g.join();
    return wrong;
  });
  EXPECT_THAT(wrong, ::testing::IsEmpty());
}

}  // namespace
}  // namespace cmbench::fibers

// ---- joinall(raise_error=True) ---------------------------------------------------------

namespace cmbench::fibers {
namespace {

// The first failure in time is raised at once, while the others still run; killall (a
// list, as gevent takes one) then stops them.
TEST_F(FibersJoinall, RaiseErrorRaisesTheFirstFailureAtOnce) {
  run([] {
    std::vector<Greenlet<int>> gs;
    gs.push_back(spawn([] {
      sleep(10s);
      return 0;
    }));
    gs.push_back(spawn([]() -> int {
      sleep(20ms);
      throw std::runtime_error("late");
    }));
    gs.push_back(spawn([]() -> int {
      sleep(1ms);
      throw std::runtime_error("early");
    }));
    auto start = Clock::now();
    try {
      joinall(gs, raise_error);
      ADD_FAILURE() << "joinall(raise_error) raised nothing";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "early");
    }
    EXPECT_LT(since(start), 5s);
    EXPECT_FALSE(gs[0].ready());
    killall(gs);
    EXPECT_THROW(gs[0].get(), GreenletExit);
    EXPECT_THROW(gs[1].get(), GreenletExit);  // killed before it failed
  });
}

TEST_F(FibersJoinall, RaiseErrorCountsAKilledGreenletAsNoFailure) {
  run([] {
    std::vector<Greenlet<int>> gs;
    gs.push_back(spawn([] {
      sleep(10s);
      return 0;
    }));
    gs.push_back(spawn([] { return 2; }));
    gs[0].kill(/*block=*/false);
    EXPECT_EQ(joinall(gs, raise_error), 2u);
    EXPECT_EQ(gs[1].get(), 2);
  });
}

}  // namespace
}  // namespace cmbench::fibers
