// The callbacks model (Twisted's style): Deferred chains (values, type changes, errback
// recovery and propagation, add_both, chaining on a returned Deferred, firing twice, an
// unhandled failure reported), DeferredList and gather_results with failures;
// DeferredSemaphore (the bound, FIFO waiters, tokens back on failure); the reactor's
// delayed calls (cancel, reset), defer_to_thread, defer_later and react; Protocol/Factory over
// loopback (echo, a 4 MiB write, refused and aborted connections, a throwing protocol); flow
// control (pause and resume, end of stream while paused, a producer paused past 64 KiB and
// resumed once drained, stopped when its consumer is lost); and both workloads.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>

#include "cpu_bound/spec.hpp"
#include "models/callbacks/deferred.hpp"
#include "models/callbacks/deferred_list.hpp"
#include "models/callbacks/deferred_semaphore.hpp"
#include "models/callbacks/info.hpp"
#include "models/callbacks/protocol.hpp"
#include "models/callbacks/reactor.hpp"
#include "sleep_fanout/spec.hpp"

using namespace cmbench::callbacks;
using cmbench::monotonic_ns;
using cmbench::ParamValues;
namespace cpu_bound = cmbench::cpu_bound;
namespace sleep_fanout = cmbench::sleep_fanout;
using namespace std::chrono_literals;
using ::testing::ElementsAre;

namespace {

// Collects what set_unhandled_error_handler reports while it lives.
struct UnhandledLog {
  std::vector<std::string> messages;
  UnhandledErrorHandler previous;
  UnhandledLog() {
    previous = set_unhandled_error_handler(
        [this](const Failure& f) { messages.push_back(f.error_message()); });
  }
  ~UnhandledLog() { set_unhandled_error_handler(std::move(previous)); }
};

}  // namespace

// ---- Deferred -------------------------------------------------------------------------

TEST(Deferred, EachCallbackGetsThePreviousResultAndMayChangeItsType) {
  Deferred<int> d;
  std::string out;
  d.add_callback([](int n) { return n * 2; })
      .add_callback([](int n) { return std::to_string(n); })
      .add_callback([&](std::string s) { out = s; });
  EXPECT_TRUE(out.empty());  // nothing runs before the Deferred fires
  d.callback(21);
  EXPECT_EQ(out, "42");
  EXPECT_TRUE(d.called());
}

TEST(Deferred, ACallbackAddedAfterFiringRunsAtOnce) {
  auto d = succeed(std::string("ready"));
  std::string got;
  d.add_callback([&](std::string s) { got = s; });
  EXPECT_EQ(got, "ready");
}

TEST(Deferred, AnExceptionSkipsCallbacksUntilAnErrbackRecoversThenCallbacksResume) {
  Deferred<int> d;
  std::vector<std::string> log;
  d.add_callback([&](int n) -> int {
     log.push_back("cb1");
     if (n > 0) throw std::runtime_error("too big");
     return n;
   })
      .add_callback([&](int n) {
        log.push_back("cb2 (skipped)");
        return n;
      })
      .add_errback([&](const Failure& f) {
        log.push_back("eb: " + f.error_message());
        return 7;  // handled: the chain is back on the callback path
      })
      .add_callback([&](int n) {
        log.push_back("cb3 got " + std::to_string(n));
        return n;
      });
  d.callback(1);
  EXPECT_THAT(log, ElementsAre("cb1", "eb: too big", "cb3 got 7"));
}

TEST(Deferred, AnErrbackThatDoesNotHandleTheFailurePassesItOn) {
  Deferred<int> d;
  std::vector<std::string> log;
  d.add_errback([&](const Failure& f) -> int {
     log.push_back("trap logic_error");
     f.trap<std::logic_error>();  // not a logic_error: rethrown, goes on down the chain
     return 0;
   })
      .add_errback([&](const Failure& f) {
        log.push_back("passes it by returning it");
        return f;
      })
      .add_errback([&](const Failure& f) {
        EXPECT_TRUE(f.check<std::runtime_error>());
        log.push_back("handled: " + f.error_message());
        return -1;
      })
      .add_callback([&](int n) { log.push_back("value " + std::to_string(n)); });
  d.errback(std::runtime_error("refused"));
  EXPECT_THAT(log, ElementsAre("trap logic_error", "passes it by returning it", "handled: refused",
                               "value -1"));
}

TEST(Deferred, AddCallbacksRunsOneOfThePairAndTheErrbackDoesNotSeeItsOwnCallbacksError) {
  Deferred<int> d;
  std::vector<std::string> log;
  d.add_callbacks(
       [&](int) -> int {
         log.push_back("cb");
         throw std::runtime_error("cb failed");
       },
       [&](const Failure&) {
         log.push_back("eb of the same pair (must not run)");
         return 0;
       })
      .add_errback([&](const Failure& f) {
        log.push_back("next eb: " + f.error_message());
        return 0;
      });
  d.callback(1);
  EXPECT_THAT(log, ElementsAre("cb", "next eb: cb failed"));
}

TEST(Deferred, AddBothRunsOnEitherPathAndCanPassTheOutcomeThrough) {
  int cleanups = 0;
  auto tidy = [&](auto outcome) {
    ++cleanups;
    return outcome;  // a value stays a value, a Failure stays a failure
  };
  Deferred<int> ok, bad;
  int value = 0;
  std::string error;
  ok.add_both(tidy).add_callback([&](int n) { value = n; });
  bad.add_both(tidy).add_errback([&](const Failure& f) {
    error = f.error_message();
    return 0;
  });
  ok.callback(5);
  bad.errback(std::runtime_error("broken"));
  EXPECT_EQ(cleanups, 2);
  EXPECT_EQ(value, 5);
  EXPECT_EQ(error, "broken");
}

TEST(Deferred, ACallbackReturningADeferredPausesTheChainUntilThatOneFires) {
  Deferred<int> outer;
  Deferred<std::string> inner;
  std::vector<std::string> log;
  outer
      .add_callback([&](int n) {
        log.push_back("asks for " + std::to_string(n));
        return inner;  // the chain waits for it
      })
      .add_callback([&](std::string s) { log.push_back("got " + s); });
  outer.callback(3);
  EXPECT_THAT(log, ElementsAre("asks for 3"));
  inner.callback("three");
  EXPECT_THAT(log, ElementsAre("asks for 3", "got three"));
  // The inner result was handed on: the inner Deferred takes no more callbacks.
  EXPECT_THROW(inner.add_callback([](std::string) {}), std::logic_error);
}

TEST(Deferred, ChainingOnAFiredOrFailingDeferredGoesOnAtOnce) {
  Deferred<int> d;
  std::vector<std::string> log;
  d.add_callback([](int n) { return succeed(n + 1); })
      .add_callback([](int) { return fail<int>(std::runtime_error("inner failed")); })
      .add_callback([&](int) { log.push_back("skipped"); })
      .add_errback([&](const Failure& f) { log.push_back(f.error_message()); });
  d.callback(1);
  EXPECT_THAT(log, ElementsAre("inner failed"));
}

TEST(Deferred, FiringTwiceIsAnAlreadyCalledError) {
  Deferred<int> d;
  d.callback(1);
  EXPECT_THROW(d.callback(2), AlreadyCalledError);
  EXPECT_THROW(d.errback(std::runtime_error("late")), AlreadyCalledError);
  Deferred<void> v;
  v.callback();
  EXPECT_THROW(v.callback(), AlreadyCalledError);
}

TEST(Deferred, AnUnhandledFailureIsReportedWhenTheLastHandleGoesAway) {
  UnhandledLog unhandled;
  {
    Deferred<int> d;
    d.add_callback([](int) -> int { throw std::runtime_error("nobody caught me"); });
    d.callback(1);
    EXPECT_TRUE(unhandled.messages.empty());  // it could still get an errback
  }
  EXPECT_THAT(unhandled.messages, ElementsAre("nobody caught me"));
  {
    Deferred<int> handled;
    handled.add_errback([](const Failure&) { return 0; });
    handled.errback(std::runtime_error("caught"));
  }
  EXPECT_EQ(unhandled.messages.size(), 1u);
}

TEST(Deferred, AHandleWhoseTypeIsStaleCannotAddCallbacks) {
  Deferred<int> d;
  auto text = d.add_callback([](int n) { return std::to_string(n); });
  EXPECT_THROW(d.add_callback([](int n) { return n; }), std::logic_error);
  EXPECT_NO_THROW(text.add_callback([](std::string s) { return s; }));
  d.callback(1);  // firing goes through the handle of the type the chain starts with
}

TEST(Deferred, HoldsMoveOnlyValuesAndVoid) {
  Deferred<std::unique_ptr<int>> d;
  int seen = 0;
  d.add_callback([](std::unique_ptr<int> p) { return *p + 1; }).add_callback([&](int n) {
    seen = n;
  });
  d.callback(std::make_unique<int>(41));
  EXPECT_EQ(seen, 42);

  Deferred<void> v;
  bool ran = false;
  v.add_callback([] { return 1; }).add_callback([&](int) { ran = true; });
  v.callback();
  EXPECT_TRUE(ran);
}

// ---- DeferredList and gather_results ----------------------------------------------------

TEST(DeferredList, GivesSuccessAndFailurePairsInCallOrderAndConsumesTheFailures) {
  UnhandledLog unhandled;
  std::vector<Deferred<int>> ds(3);
  std::vector<ListEntry<int>> got;
  DeferredList list(ds);
  list.add_callback([&](std::vector<ListEntry<int>> entries) { got = std::move(entries); });
  ds[2].callback(3);  // fired in reverse order
  ds[1].errback(std::runtime_error("second failed"));
  EXPECT_TRUE(got.empty());
  ds[0].callback(1);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(got[0].first);
  EXPECT_EQ(std::get<int>(got[0].second), 1);
  EXPECT_FALSE(got[1].first);
  EXPECT_EQ(std::get<Failure>(got[1].second).error_message(), "second failed");
  EXPECT_TRUE(got[2].first);
  EXPECT_EQ(std::get<int>(got[2].second), 3);
  ds.clear();
  EXPECT_TRUE(unhandled.messages.empty());
}

TEST(DeferredList, GatherResultsGivesValuesInCallOrder) {
  std::vector<Deferred<std::string>> ds(3);
  std::vector<std::string> got;
  gather_results(ds).add_callback([&](std::vector<std::string> all) { got = std::move(all); });
  ds[1].callback("b");
  ds[2].callback("c");
  ds[0].callback("a");
  EXPECT_THAT(got, ElementsAre("a", "b", "c"));
}

TEST(DeferredList, GatherResultsFailsWithTheFirstFailureAndConsumesTheRest) {
  UnhandledLog unhandled;
  std::vector<Deferred<int>> ds(3);
  std::string error;
  bool succeeded = false;
  gather_results(ds).add_callbacks([&](std::vector<int>) { succeeded = true; },
                                   [&](const Failure& f) { error = f.error_message(); });
  ds[0].callback(1);
  ds[2].errback(std::runtime_error("first failure"));
  ds[1].errback(std::runtime_error("second failure"));
  EXPECT_FALSE(succeeded);
  EXPECT_EQ(error, "first failure");
  ds.clear();
  EXPECT_TRUE(unhandled.messages.empty());
}

TEST(DeferredList, AnEmptyListFiresAtOnce) {
  bool fired = false;
  gather_results(std::vector<Deferred<int>>{}).add_callback([&](std::vector<int> v) {
    fired = v.empty();
  });
  EXPECT_TRUE(fired);
}

// ---- DeferredSemaphore --------------------------------------------------------------------

TEST(DeferredSemaphore, AcquireFiresAtOnceWhileTokensAreFreeThenWaitersInOrder) {
  DeferredSemaphore sem(2);
  std::vector<int> got;
  for (int i = 0; i < 5; ++i) sem.acquire().add_callback([&got, i] { got.push_back(i); });
  EXPECT_THAT(got, ElementsAre(0, 1));
  EXPECT_EQ(sem.tokens(), 0u);
  EXPECT_EQ(sem.waiting(), 3u);
  sem.release();  // the token goes to the first waiter, at once
  EXPECT_THAT(got, ElementsAre(0, 1, 2));
  sem.release();
  sem.release();
  EXPECT_THAT(got, ElementsAre(0, 1, 2, 3, 4));
  EXPECT_EQ(sem.tokens(), 0u);
  sem.release();
  sem.release();
  EXPECT_EQ(sem.tokens(), 2u);
  EXPECT_THROW(sem.release(), std::logic_error);  // more releases than acquires
  EXPECT_THROW(DeferredSemaphore(0), std::invalid_argument);
}

TEST(DeferredSemaphore, RunKeepsAtMostItsTokensInFlightAndStartsWaitersInOrder) {
  DeferredSemaphore sem(3);
  std::vector<Deferred<int>> ops;  // the operations started, in the order they started
  std::vector<int> started, results;
  int running = 0, peak = 0;
  for (int i = 0; i < 8; ++i) {
    sem.run([&, i] {
         started.push_back(i);
         peak = std::max(peak, ++running);
         return ops.emplace_back();
       })
        .add_callback([&](int v) { results.push_back(v); });
  }
  auto finish = [&](std::size_t op, int value) {
    --running;  // the operation is over; firing its Deferred releases its token
    ops[op].callback(value);
  };
  EXPECT_THAT(started, ElementsAre(0, 1, 2));
  // Finish them out of order: whichever finishes, the next waiter starts.
  finish(1, 10);
  finish(0, 0);
  EXPECT_THAT(started, ElementsAre(0, 1, 2, 3, 4));
  for (std::size_t next = 2; next < 8; ++next) finish(next, static_cast<int>(next) * 10);
  EXPECT_THAT(started, ElementsAre(0, 1, 2, 3, 4, 5, 6, 7));
  EXPECT_THAT(results, ElementsAre(10, 0, 20, 30, 40, 50, 60, 70));
  EXPECT_EQ(peak, 3);
  EXPECT_EQ(sem.tokens(), 3u);
}

TEST(DeferredSemaphore, RunReleasesOnFailureAndPassesTheFailureOn) {
  UnhandledLog unhandled;
  DeferredSemaphore sem(1);
  Deferred<int> first;
  std::vector<std::string> log;
  sem.run([&] { return first; }).add_errback([&](const Failure& f) {
    log.push_back("first: " + f.error_message());
    return -1;
  });
  // f itself throws: its token comes back too, and run's Deferred fails with the throw.
  sem.run([&]() -> Deferred<int> { throw std::runtime_error("could not start"); })
      .add_errback([&](const Failure& f) {
        log.push_back("second: " + f.error_message());
        return -1;
      });
  sem.run([&] {
       log.push_back("third started");
       return succeed();
     })
      .add_callback([&] { log.push_back("third done"); });
  EXPECT_TRUE(log.empty());  // the first holds the only token
  first.errback(std::runtime_error("reset"));
  // The token is handed on inside the first's release, before its failure travels on: the
  // waiters run first, each in turn, as in Twisted.
  EXPECT_THAT(
      log, ElementsAre("third started", "third done", "second: could not start", "first: reset"));
  EXPECT_EQ(sem.tokens(), 1u);
  EXPECT_TRUE(unhandled.messages.empty());
}

// ---- Reactor ----------------------------------------------------------------------------

TEST(CallbacksReactor, CallLaterRunsInDelayOrderAndCancelPreventsACall) {
  Reactor reactor;
  std::vector<int> log;
  auto third = reactor.call_later(6ms, [&] { log.push_back(3); });
  auto cancelled = reactor.call_later(4ms, [&] { log.push_back(99); });
  reactor.call_later(
      2ms, [&](int n) { log.push_back(n); }, 1);         // Twisted's *args
  reactor.call_later(0.004, [&] { log.push_back(2); });  // seconds, as in Twisted
  const std::int64_t start = monotonic_ns();             // before the stop timer is scheduled
  reactor.call_later(10ms, [&] { reactor.stop(); });
  EXPECT_TRUE(cancelled.active());
  cancelled.cancel();
  EXPECT_FALSE(cancelled.active());
  EXPECT_THROW(cancelled.cancel(), AlreadyCancelled);
  reactor.run();
  EXPECT_GE(monotonic_ns() - start, 10'000'000);  // never early
  EXPECT_THAT(log, ElementsAre(1, 2, 3));
  EXPECT_FALSE(third.active());
  EXPECT_THROW(third.cancel(), AlreadyCalled);
}

TEST(CallbacksReactor, ResetMovesADelayedCallLaterOrSooner) {
  Reactor reactor;
  std::vector<std::string> log;
  const std::int64_t start = monotonic_ns();  // before any call is scheduled
  std::int64_t sooner_at = 0, later_at = 0;
  auto sooner = reactor.call_later(50ms, [&] {
    sooner_at = monotonic_ns();
    log.push_back("sooner");
  });
  auto later = reactor.call_later(2ms, [&] {
    later_at = monotonic_ns();
    log.push_back("later");
    reactor.stop();
  });
  sooner.reset(4ms);  // a new timer
  later.reset(8ms);   // the 2 ms timer re-arms itself when it comes round
  reactor.call_later(1ms, [&] { later.reset(10ms); });  // again, from the loop: ≥ 11 ms
  auto watchdog = reactor.call_later(5s, [&] { reactor.stop(); });
  reactor.run();
  EXPECT_THAT(log, ElementsAre("sooner", "later"));
  EXPECT_GE(sooner_at - start, 4'000'000);  // never early
  EXPECT_LT(sooner_at - start, 50'000'000);
  EXPECT_GE(later_at - start, 11'000'000);
  EXPECT_THROW(later.reset(1ms), AlreadyCalled);
  watchdog.cancel();
  EXPECT_THROW(watchdog.reset(0.001), AlreadyCancelled);
}

TEST(CallbacksReactor, AZeroDelayRunsOnTheNextTurnInFifoOrderWithOtherQueuedCalls) {
  Reactor reactor;
  std::vector<std::string> log;
  auto note = [&](std::string what) { return [&log, what] { log.push_back(what); }; };
  reactor.call_when_running([&] {
    reactor.call_later(0, note("zero 1"));
    reactor.engine().call_soon(note("soon 1"));
    auto skipped = reactor.call_later(0s, note("cancelled"));
    reactor.call_later(-1.0, note("negative"));  // already due: the same as zero
    reactor.engine().call_soon([&] {
      log.push_back("soon 2");
      // Made during a turn: after everything queued before it, on the next turn.
      reactor.call_later(0, note("zero from a call"));
      reactor.engine().call_soon(note("soon from a call"));
    });
    reactor.call_later(0, note("zero 2"));
    // Not a timer: it does not wait for the wheel's next tick.
    EXPECT_EQ(reactor.engine().pending_timers(), 0u);
    EXPECT_TRUE(skipped.active());
    skipped.cancel();
    EXPECT_FALSE(skipped.active());
    EXPECT_THROW(skipped.cancel(), AlreadyCancelled);
    reactor.call_later(2ms, [&] { reactor.stop(); });
  });
  reactor.run();
  EXPECT_THAT(log, ElementsAre("zero 1", "soon 1", "negative", "soon 2", "zero 2",
                               "zero from a call", "soon from a call"));
}

TEST(CallbacksReactor, AZeroDelayCallStaysActiveUntilItRunsAndMayBeResetLater) {
  Reactor reactor;
  std::vector<std::string> log;
  const std::int64_t start = monotonic_ns();
  std::int64_t moved_at = 0;
  auto now = reactor.call_later(0, [&] { log.push_back("now"); });
  auto moved = reactor.call_later(0, [&] {
    moved_at = monotonic_ns();
    log.push_back("moved");
  });
  auto kept = reactor.call_later(0, [&] { log.push_back("kept"); });
  moved.reset(5ms);  // leaves the ready queue for a timer
  kept.reset(0s);    // still due: keeps its place
  reactor.engine().call_soon([&] {
    EXPECT_FALSE(now.active());
    EXPECT_TRUE(moved.active());
    EXPECT_THROW(now.cancel(), AlreadyCalled);
  });
  reactor.call_later(10ms, [&] { reactor.stop(); });
  EXPECT_TRUE(now.active());
  reactor.run();
  EXPECT_THAT(log, ElementsAre("now", "kept", "moved"));
  EXPECT_GE(moved_at - start, 5'000'000);  // never early
  EXPECT_FALSE(moved.active());
}

TEST(CallbacksReactor, DeferLaterWithNoDelayFiresOnTheNextTurn) {
  Reactor reactor;
  std::vector<std::string> log;
  defer_later(reactor, 0s, [] { return std::string("deferred"); }).add_callback([&](std::string s) {
    log.push_back(s);
  });
  reactor.engine().call_soon([&] { log.push_back("soon"); });
  EXPECT_EQ(reactor.engine().pending_timers(), 0u);
  reactor.call_later(2ms, [&] { reactor.stop(); });
  reactor.run();
  EXPECT_THAT(log, ElementsAre("deferred", "soon"));
}

TEST(CallbacksReactor, RunGoesOnUntilStopAndCallWhenRunningStartsTheProgram) {
  Reactor reactor;
  std::vector<std::string> log;
  reactor.call_when_running([&] {
    log.push_back("running");
    EXPECT_TRUE(reactor.running());
    reactor.call_when_running([&] { log.push_back("at once, already running"); });
    reactor.call_later(3ms, [&] {
      log.push_back("stop");
      reactor.stop();
    });
  });
  EXPECT_THROW(reactor.stop(), ReactorNotRunning);
  reactor.run();
  EXPECT_FALSE(reactor.running());
  EXPECT_THAT(log, ElementsAre("running", "at once, already running", "stop"));
}

TEST(CallbacksReactor, DeferToThreadDeliversResultsAndExceptionsOnTheLoopThread) {
  Reactor reactor;
  const auto loop_thread = std::this_thread::get_id();
  std::thread::id worker, result_on, error_on;
  int value = 0;
  std::string error;
  auto ok = reactor.defer_to_thread(
      [&](int n) {
        worker = std::this_thread::get_id();
        return n * 2;
      },
      21);
  auto bad = reactor.defer_to_thread([]() -> int { throw std::runtime_error("worker failed"); });
  auto ok_seen = ok.add_callback([&](int n) {
    value = n;
    result_on = std::this_thread::get_id();
    return n;
  });
  auto bad_seen = bad.add_errback([&](const Failure& f) {
    error = f.error_message();
    error_on = std::this_thread::get_id();
    return 0;
  });
  std::vector<Deferred<int>> both{ok_seen, bad_seen};
  gather_results(std::move(both)).add_both([&](auto) { reactor.stop(); });
  reactor.run();
  EXPECT_EQ(value, 42);
  EXPECT_EQ(error, "worker failed");
  EXPECT_NE(worker, loop_thread);
  EXPECT_EQ(result_on, loop_thread);
  EXPECT_EQ(error_on, loop_thread);
}

TEST(CallbacksReactor, DeferLaterFiresWithTheResultAfterTheDelay) {
  Reactor reactor;
  const std::int64_t start = monotonic_ns();
  std::int64_t fired_after = 0;
  std::string got, error;
  defer_later(reactor, 5ms, [] { return std::string("later"); }).add_callback([&](std::string s) {
    got = s;
    fired_after = monotonic_ns() - start;
  });
  defer_later(reactor, 1ms, []() -> int {
    throw std::runtime_error("late failure");
  }).add_errback([&](const Failure& f) {
    error = f.error_message();
    return 0;
  });
  reactor.call_later(8ms, [&] { reactor.stop(); });
  reactor.run();
  EXPECT_EQ(got, "later");
  EXPECT_EQ(error, "late failure");
  EXPECT_GE(fired_after, 5'000'000);
}

TEST(CallbacksReactor, ReactReturnsTheValueOrThrowsTheFailure) {
  EXPECT_EQ(react([](Reactor& r) { return defer_later(r, 1ms, [] { return 7; }); }), 7);
  EXPECT_THROW(react([](Reactor& r) {
                 return defer_later(r, 1ms, []() -> int { throw std::out_of_range("no"); });
               }),
               std::out_of_range);
  EXPECT_THROW(react([](Reactor&) -> Deferred<int> { throw std::invalid_argument("main"); }),
               std::invalid_argument);
}

TEST(CallbacksReactor, AnUnhandledFailureIsReportedThroughTheReactor) {
  Reactor reactor;
  std::vector<std::string> reported;
  reactor.engine().set_error_handler([&](std::string_view what) { reported.emplace_back(what); });
  reactor.call_when_running([&] {
    defer_later(reactor, 1ms, []() -> int { throw std::runtime_error("forgotten"); });
    reactor.call_later(3ms, [&] { reactor.stop(); });
  });
  reactor.run();
  EXPECT_THAT(reported, ElementsAre("Unhandled error in Deferred: forgotten"));
}

TEST(CallbacksReactor, CallFromThreadRunsOnTheLoopThread) {
  Reactor reactor;
  std::thread::id ran_on;
  std::thread other;
  reactor.call_when_running([&] {
    other = std::thread([&] {
      reactor.call_from_thread(
          [&](int code) {
            EXPECT_EQ(code, 7);
            ran_on = std::this_thread::get_id();
            reactor.stop();
          },
          7);
    });
  });
  reactor.run();  // until the call from the other thread stops it
  other.join();
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(CallbacksReactor, BeginLoggingToSendsUnhandledErrorsToTheObserver) {
  Reactor reactor;
  std::vector<std::string> logged;
  reactor.begin_logging_to([&](std::string_view line) { logged.emplace_back(line); });
  reactor.call_when_running([&] {
    defer_later(reactor, 1ms, []() -> int { throw std::runtime_error("nobody looked"); });
    reactor.call_later(3ms, [&] { reactor.stop(); });
  });
  reactor.run();
  EXPECT_THAT(logged, ElementsAre("Unhandled error in Deferred: nobody looked"));
}

// ---- Protocol, Factory, Transport over loopback -------------------------------------------

namespace {

std::span<const std::byte> bytes(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

std::string ending_of(const Failure& reason) {
  if (reason.check<ConnectionDone>()) return "done";
  if (reason.check<ConnectionAborted>()) return "aborted";
  return reason.error_message();
}

// Both ends of one connection report here how it ended; the second stops the reactor. A
// watchdog stops it too, so that a connection that never ends fails the test, not hangs it.
struct Endings {
  explicit Endings(Reactor& r) : reactor(r) {
    r.call_later(30s, [this] {
      ADD_FAILURE() << "the connection did not end within 30 s";
      reactor.stop();
    });
  }
  Reactor& reactor;
  std::string client, server;
  std::size_t received = 0;  // bytes the server got
  int left = 2;
  void record(std::string& side, const Failure& reason) {
    side = ending_of(reason);
    if (--left == 0) reactor.stop();
  }
};

// A factory building a P(endings) for each connection; Base: Factory, or ClientFactory.
template <class P, class Base = Factory>
struct FactoryOf : Base {
  Endings& endings;
  explicit FactoryOf(Endings& e) : endings(e) {}
  std::unique_ptr<Protocol> build_protocol() override { return std::make_unique<P>(endings); }
};

// The server: echoes what it receives.
struct Echo : Protocol {
  Endings& endings;
  explicit Echo(Endings& e) : endings(e) {}
  void data_received(std::span<const std::byte> data) override {
    endings.received += data.size();
    transport->write(data);
  }
  void connection_lost(const Failure& reason) override { endings.record(endings.server, reason); }
};
using EchoFactory = FactoryOf<Echo>;

// The client: sends `message` once connected, collects the echo, and once it has all of it
// closes with lose_connection.
struct Client : Protocol {
  Endings& endings;
  const std::string& message;
  std::string& echoed;
  Client(Endings& e, const std::string& m, std::string& out)
      : endings(e), message(m), echoed(out) {}
  void connection_made(Transport& t) override { t.write(bytes(message)); }
  void data_received(std::span<const std::byte> data) override {
    echoed.append(reinterpret_cast<const char*>(data.data()), data.size());
    if (echoed.size() == message.size()) transport->lose_connection();
  }
  void connection_lost(const Failure& reason) override { endings.record(endings.client, reason); }
};
struct ClientMaker : ClientFactory {
  Endings& endings;
  std::string message, echoed, failed;
  int built = 0;
  ClientMaker(Endings& e, std::string m) : endings(e), message(std::move(m)) {}
  std::unique_ptr<Protocol> build_protocol() override {
    ++built;
    return std::make_unique<Client>(endings, message, echoed);
  }
  void client_connection_failed(const Failure& reason) override {
    failed = reason.check<ConnectionRefusedError>() ? "refused" : reason.error_message();
    endings.reactor.stop();
  }
};

}  // namespace

TEST(CallbacksProtocol, EchoOverLoopbackEndsCleanlyOnBothSides) {
  Reactor reactor;
  Endings endings{reactor};
  EchoFactory server(endings);
  ListeningPort& port = reactor.listen_tcp(0, server);
  EXPECT_NE(port.port(), 0);
  ClientMaker client(endings, "hello, reactor");
  reactor.call_when_running([&] { reactor.connect_tcp(port.port(), client); });
  reactor.run();
  EXPECT_EQ(client.echoed, "hello, reactor");
  EXPECT_EQ(endings.client, "done");
  EXPECT_EQ(endings.server, "done");
  port.stop_listening();
  EXPECT_FALSE(port.listening());
}

// 8 MiB: more than the largest default send buffer (tcp_wmem's 4 MiB), so the first write
// is partial wherever the test runs, and the rest goes out on EPOLLOUT.
TEST(CallbacksProtocol, ALargeWriteIsBufferedThroughPartialWritesAndArrivesWhole) {
  std::string message(8 << 20, '\0');
  for (std::size_t i = 0; i < message.size(); ++i) message[i] = static_cast<char>('a' + i % 23);
  Reactor reactor;
  Endings endings{reactor};
  EchoFactory server(endings);
  ClientMaker client(endings, message);
  reactor.connect_tcp(reactor.listen_tcp(0, server).port(), client);
  reactor.run();
  EXPECT_EQ(endings.received, message.size());
  EXPECT_TRUE(client.echoed == message) << "echoed " << client.echoed.size() << " bytes";
  EXPECT_EQ(endings.client, "done");
  EXPECT_EQ(endings.server, "done");
}

TEST(CallbacksProtocol, LoseConnectionFlushesTheBufferBeforeClosing) {
  // The client writes 4 MiB and closes at once: the server must still get every byte.
  struct WriteAndClose : Protocol {
    Endings& endings;
    std::string payload = std::string(4 << 20, 'x');
    explicit WriteAndClose(Endings& e) : endings(e) {}
    void connection_made(Transport& t) override {
      t.write(bytes(payload));
      t.lose_connection();
    }
    void connection_lost(const Failure& r) override { endings.record(endings.client, r); }
  };
  struct Counter : Protocol {  // echo's server, minus the echo
    Endings& endings;
    explicit Counter(Endings& e) : endings(e) {}
    void data_received(std::span<const std::byte> d) override { endings.received += d.size(); }
    void connection_lost(const Failure& r) override { endings.record(endings.server, r); }
  };
  Reactor reactor;
  Endings endings{reactor};
  FactoryOf<Counter> server(endings);
  FactoryOf<WriteAndClose, ClientFactory> client(endings);
  reactor.connect_tcp(reactor.listen_tcp(0, server).port(), client);
  reactor.run();
  EXPECT_EQ(endings.received, std::size_t{4} << 20);
  EXPECT_EQ(endings.client, "done");
  EXPECT_EQ(endings.server, "done");
}

TEST(CallbacksProtocol, ConnectingToAPortNobodyListensOnFailsWithConnectionRefused) {
  std::uint16_t closed_port;
  {
    Reactor scratch;
    Endings unused{scratch};
    EchoFactory placeholder(unused);
    closed_port = scratch.listen_tcp(0, placeholder).port();
  }  // the port is closed again: nobody listens there
  Reactor reactor;
  Endings endings{reactor};
  ClientMaker client(endings, "never sent");
  reactor.call_when_running([&] { reactor.connect_tcp(closed_port, client); });
  reactor.run();
  EXPECT_EQ(client.failed, "refused");
  EXPECT_EQ(client.built, 0);
}

TEST(CallbacksProtocol, AbortConnectionDropsTheBufferAndReportsConnectionAborted) {
  struct Aborter : Protocol {
    Endings& endings;
    explicit Aborter(Endings& e) : endings(e) {}
    void connection_made(Transport& t) override {
      t.write(bytes(std::string(4 << 20, 'z')));
      t.abort_connection();
      t.write(bytes("ignored"));  // after abort: dropped
    }
    void connection_lost(const Failure& r) override { endings.record(endings.client, r); }
  };
  Reactor reactor;
  Endings endings{reactor};
  EchoFactory server(endings);
  FactoryOf<Aborter, ClientFactory> client(endings);
  reactor.connect_tcp(reactor.listen_tcp(0, server).port(), client);
  reactor.run();
  EXPECT_EQ(endings.client, "aborted");
  EXPECT_FALSE(endings.server.empty());  // the server saw its peer go
  EXPECT_LT(endings.received, std::size_t{4} << 20);
}

TEST(CallbacksProtocol, AProtocolThatThrowsIsReportedAndItsConnectionDropped) {
  struct Thrower : Protocol {
    Endings& endings;
    explicit Thrower(Endings& e) : endings(e) {}
    void data_received(std::span<const std::byte>) override {
      throw std::runtime_error("bad request");
    }
    void connection_lost(const Failure& r) override { endings.record(endings.server, r); }
  };
  Reactor reactor;
  std::vector<std::string> reported;
  reactor.engine().set_error_handler([&](std::string_view what) { reported.emplace_back(what); });
  Endings endings{reactor};
  FactoryOf<Thrower> server(endings);
  ClientMaker client(endings, "anything");
  reactor.connect_tcp(reactor.listen_tcp(0, server).port(), client);
  reactor.run();
  EXPECT_EQ(endings.server, "bad request");
  EXPECT_EQ(endings.client, "done");
  EXPECT_THAT(reported, ElementsAre("a protocol raised: bad request"));
}

// ---- flow control: producers and consumers -------------------------------------------------

namespace {

std::string text_of(std::span<const std::byte> data) {
  return std::string(reinterpret_cast<const char*>(data.data()), data.size());
}

// One side of a connection that keeps its transport and what it received where the test
// can see them after the protocol is gone. `paused` pauses it in connection_made; `first`
// is written once connected.
struct Side {
  Transport* transport = nullptr;
  std::string received, received_at_loss;
  bool paused = false;
  std::string first;
};

template <bool IsServer>
struct SideProtocol : Protocol {
  Endings& endings;
  Side& side;
  SideProtocol(Endings& e, Side& s) : endings(e), side(s) {}
  void connection_made(Transport& t) override {
    side.transport = &t;
    if (side.paused) t.pause_producing();
    if (!side.first.empty()) t.write(side.first);
  }
  void data_received(std::span<const std::byte> data) override { side.received += text_of(data); }
  void connection_lost(const Failure& reason) override {
    side.received_at_loss = side.received;
    side.transport = nullptr;
    endings.record(IsServer ? endings.server : endings.client, reason);
  }
};

template <class Base, bool IsServer>
struct SideFactory : Base {
  Endings& endings;
  Side& side;
  SideFactory(Endings& e, Side& s) : endings(e), side(s) {}
  std::unique_ptr<Protocol> build_protocol() override {
    return std::make_unique<SideProtocol<IsServer>>(endings, side);
  }
};

// A streaming producer (Twisted's IPushProducer) on the server side: writes `total` bytes in
// 16 KiB pieces whenever it is not paused, then unregisters and closes. `log` records the
// calls it got.
struct Streamer : Protocol, PushProducer {
  Endings& endings;
  std::vector<std::string>& log;
  std::size_t total, sent = 0;
  bool paused = false;
  Streamer(Endings& e, std::vector<std::string>& l, std::size_t n) : endings(e), log(l), total(n) {}
  void connection_made(Transport& t) override {
    t.register_producer(*this);
    produce();
  }
  void pause_producing() override {
    log.push_back("pause");
    paused = true;
  }
  void resume_producing() override {
    log.push_back("resume");
    paused = false;
    produce();
  }
  void stop_producing() override { log.push_back("stop"); }
  void produce() {
    const std::string piece(16 * 1024, 's');
    while (!paused && sent < total) {
      transport->write(piece);
      sent += piece.size();
    }
    if (sent == total && !paused) {
      transport->unregister_producer();
      transport->lose_connection();
    }
  }
  void connection_lost(const Failure& reason) override { endings.record(endings.server, reason); }
};

}  // namespace

TEST(CallbacksFlowControl, PausingStopsDataReceivedAndResumingDeliversWhatArrivedMeanwhile) {
  Reactor reactor;
  Endings endings{reactor};
  Side server, client;
  server.paused = true;
  client.first = "first ";
  SideFactory<Factory, true> server_factory(endings, server);
  SideFactory<ClientFactory, false> client_factory(endings, client);
  reactor.connect_tcp(reactor.listen_tcp(0, server_factory).port(), client_factory);
  reactor.call_later(100ms, [&] {
    EXPECT_EQ(server.received, "") << "a paused transport delivered data";
    ASSERT_NE(client.transport, nullptr);
    client.transport->write("second");
  });
  reactor.call_later(200ms, [&] {
    EXPECT_EQ(server.received, "") << "a paused transport delivered data";
    ASSERT_NE(server.transport, nullptr);
    server.transport->resume_producing();
  });
  reactor.call_later(300ms, [&] {  // both pieces arrived: end it
    EXPECT_EQ(server.received, "first second");
    if (server.transport) server.transport->lose_connection();
  });
  reactor.run();
  EXPECT_EQ(server.received, "first second");
  EXPECT_EQ(endings.server, "done");
  EXPECT_EQ(endings.client, "done");
}

// As in Twisted, a transport that does not read does not see its peer's end of stream; the
// resume delivers the bytes sent before it, then connection_lost(ConnectionDone).
TEST(CallbacksFlowControl, AnEndOfStreamWhilePausedIsNoticedAfterTheDataOnResume) {
  struct CloseAtOnce : Protocol {
    Endings& endings;
    explicit CloseAtOnce(Endings& e) : endings(e) {}
    void connection_made(Transport& t) override {
      t.write("last words");
      t.lose_connection();
    }
    void connection_lost(const Failure& r) override { endings.record(endings.client, r); }
  };
  Reactor reactor;
  Endings endings{reactor};
  Side server;
  server.paused = true;
  SideFactory<Factory, true> server_factory(endings, server);
  FactoryOf<CloseAtOnce, ClientFactory> client_factory(endings);
  reactor.connect_tcp(reactor.listen_tcp(0, server_factory).port(), client_factory);
  reactor.call_later(200ms, [&] {
    EXPECT_EQ(endings.client, "done");
    EXPECT_EQ(endings.server, "") << "a paused transport noticed the end of stream";
    EXPECT_EQ(server.received, "");
    ASSERT_NE(server.transport, nullptr);
    server.transport->resume_producing();
  });
  reactor.run();
  EXPECT_EQ(endings.server, "done");
  EXPECT_EQ(server.received_at_loss, "last words");
}

// The client does not read at first: the server's socket fills, its buffer passes 64 KiB and
// its producer is paused, and stays paused. Once the client reads, every pause is followed by
// a resume when the buffer has drained, and all the bytes arrive.
TEST(CallbacksFlowControl, ARegisteredProducerIsPausedPastTheBufferSizeAndResumedOnceDrained) {
  const std::size_t total = std::size_t{32} << 20;  // more than any loopback's buffers
  Reactor reactor;
  Endings endings{reactor};
  std::vector<std::string> log;
  struct StreamerFactory : Factory {
    Endings& endings;
    std::vector<std::string>& log;
    std::size_t total;
    Streamer* last = nullptr;
    StreamerFactory(Endings& e, std::vector<std::string>& l, std::size_t n)
        : endings(e), log(l), total(n) {}
    std::unique_ptr<Protocol> build_protocol() override {
      auto p = std::make_unique<Streamer>(endings, log, total);
      last = p.get();
      return p;
    }
  } server_factory(endings, log, total);
  Side client;
  client.paused = true;
  SideFactory<ClientFactory, false> client_factory(endings, client);
  reactor.connect_tcp(reactor.listen_tcp(0, server_factory).port(), client_factory);
  reactor.call_later(300ms, [&] {
    EXPECT_THAT(log, ElementsAre("pause")) << "the producer was not paused once, and kept so";
    ASSERT_NE(server_factory.last, nullptr);
    EXPECT_LT(server_factory.last->sent, total);
    ASSERT_NE(client.transport, nullptr);
    client.transport->resume_producing();
  });
  reactor.run();
  EXPECT_EQ(client.received_at_loss.size(), total);
  EXPECT_EQ(endings.server, "done");
  EXPECT_EQ(endings.client, "done");
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.size() % 2, 0u) << "a pause was never resumed";
  for (std::size_t i = 0; i < log.size(); ++i)
    EXPECT_EQ(log[i], i % 2 == 0 ? "pause" : "resume") << "call " << i;
}

TEST(CallbacksFlowControl, AProducerIsStoppedWhenItsConsumerIsLostAndOnlyOneMayBeRegistered) {
  struct Recorder : PushProducer {
    std::vector<std::string> log;
    void pause_producing() override { log.push_back("pause"); }
    void resume_producing() override { log.push_back("resume"); }
    void stop_producing() override { log.push_back("stop"); }
  };
  struct Registers : Protocol {
    Endings& endings;
    Recorder &producer, &second;
    Registers(Endings& e, Recorder& p, Recorder& s) : endings(e), producer(p), second(s) {}
    void connection_made(Transport& t) override {
      t.register_producer(producer);
      EXPECT_THROW(t.register_producer(second), std::logic_error);
    }
    void connection_lost(const Failure& r) override {
      producer.log.push_back("connection_lost");
      endings.record(endings.server, r);
    }
  };
  struct RegistersFactory : Factory {
    Endings& endings;
    Recorder producer, second;
    explicit RegistersFactory(Endings& e) : endings(e) {}
    std::unique_ptr<Protocol> build_protocol() override {
      return std::make_unique<Registers>(endings, producer, second);
    }
  };
  struct ClosesAtOnce : Protocol {
    Endings& endings;
    explicit ClosesAtOnce(Endings& e) : endings(e) {}
    void connection_made(Transport& t) override { t.lose_connection(); }
    void connection_lost(const Failure& r) override { endings.record(endings.client, r); }
  };
  Reactor reactor;
  Endings endings{reactor};
  RegistersFactory server(endings);
  FactoryOf<ClosesAtOnce, ClientFactory> client(endings);
  reactor.connect_tcp(reactor.listen_tcp(0, server).port(), client);
  reactor.run();
  EXPECT_EQ(endings.server, "done");
  EXPECT_THAT(server.producer.log, ElementsAre("stop", "connection_lost"));
  EXPECT_TRUE(server.second.log.empty());
}

// ---- the workloads ------------------------------------------------------------------------

TEST(CallbacksWorkloads, SleepFanoutSmallestScaleIsVerified) {
  auto p = sleep_fanout::make_params(ParamValues({{"N", "3"}, {"d", "10ms"}, {"w", "1"}}));
  auto v = sleep_fanout::verify(p, sleep_fanout::callbacks(p), cmbench::callbacks::info);
  EXPECT_TRUE(v.ok) << v.why;
  EXPECT_EQ(v.tasks, 3u);
  EXPECT_EQ(v.peak_in_flight, 3u);
}

TEST(CallbacksWorkloads, SleepFanoutOfAHundredThousandTasksIsVerified) {
  auto p = sleep_fanout::make_params(ParamValues({{"N", "100000"}, {"d", "10ms"}, {"w", "1"}}));
  auto v = sleep_fanout::verify(p, sleep_fanout::callbacks(p), cmbench::callbacks::info);
  EXPECT_TRUE(v.ok) << v.why;
  EXPECT_EQ(v.tasks, 100'000u);
  EXPECT_GE(v.peak_in_flight, 2u);
}

TEST(CallbacksWorkloads, CpuBoundBothVariantsAreVerified) {
  auto p = cpu_bound::make_params(ParamValues({{"K", "2"}, {"width", "300"}}));
  auto threaded = cpu_bound::verify(p, cpu_bound::callbacks(p), cmbench::callbacks::info);
  EXPECT_TRUE(threaded.ok) << threaded.why;
  auto on_loop = cpu_bound::callbacks_on_loop(p);
  auto v = cpu_bound::verify(p, on_loop, cmbench::callbacks::info);
  EXPECT_TRUE(v.ok) << v.why;
  EXPECT_EQ(v.peak_in_flight, 1u);  // one loop thread: the chunks never overlap
}

// ---- cancel() and cancellers -------------------------------------------------------------

TEST(DeferredCancel, CallsTheCancellerThenFailsWithCancelledError) {
  int cancelled = 0;
  Deferred<int> d([&](Deferred<int>&) { ++cancelled; });
  std::string seen;
  d.add_errback([&](const Failure& f) {
    seen = f.check<CancelledError>() ? "cancelled" : f.error_message();
    return 0;
  });
  d.cancel();
  EXPECT_EQ(cancelled, 1);
  EXPECT_EQ(seen, "cancelled");
  EXPECT_TRUE(d.called());
  d.cancel();  // fired: nothing more
  EXPECT_EQ(cancelled, 1);
}

TEST(DeferredCancel, ACancellerMayFireTheDeferredItself) {
  Deferred<int> d([](Deferred<int>& self) { self.callback(-1); });
  int got = 0;
  d.add_callback([&](int v) { got = v; });
  d.cancel();
  EXPECT_EQ(got, -1);
}

TEST(DeferredCancel, AFiredDeferredIsNotCancelled) {
  int cancelled = 0;
  Deferred<int> d([&](Deferred<int>&) { ++cancelled; });
  d.callback(3);
  d.cancel();
  int got = 0;
  d.add_callback([&](int v) { got = v; });
  EXPECT_EQ(cancelled, 0);
  EXPECT_EQ(got, 3);
}

// Without a canceller the producer does not know; its late callback is dropped once.
TEST(DeferredCancel, WithoutACancellerTheProducersLateFireIsDropped) {
  Deferred<int> d;
  bool failed = false;
  d.add_errback([&](const Failure& f) {
    failed = f.check<CancelledError>();
    return 0;
  });
  d.cancel();
  EXPECT_TRUE(failed);
  EXPECT_NO_THROW(d.callback(1));
  EXPECT_THROW(d.callback(2), AlreadyCalledError);
}

// Twisted's deferLater, cancelled: the delayed call is removed, the reactor runs dry.
TEST(DeferredCancel, CancellingRemovesTheDelayedCallOfATimer) {
  Reactor reactor;
  DelayedCall call;
  Deferred<int> d([&](Deferred<int>&) { call.cancel(); });
  call = reactor.call_later(10s, [d]() mutable { d.callback(1); });
  bool cleaned = false;
  d.add_both([&](auto outcome) {
     cleaned = true;
     return outcome;
   }).add_errback([](const Failure& f) {
    f.trap<CancelledError>();
    return 0;
  });
  reactor.call_later(1ms, [&] { d.cancel(); });
  reactor.call_later(5ms, [&] { reactor.stop(); });
  auto start = monotonic_ns();
  reactor.run();
  EXPECT_TRUE(cleaned);
  EXPECT_FALSE(call.active());
  EXPECT_LT(monotonic_ns() - start, 5'000'000'000);
}

// A cancelled Deferred in a DeferredList counts as a failure the list consumed.
TEST(DeferredCancel, ADeferredListCollectsTheCancellation) {
  Deferred<int> a, b;
  DeferredList<int> list({a, b});
  std::vector<ListEntry<int>> got;
  list.add_callback([&](std::vector<ListEntry<int>> entries) { got = std::move(entries); });
  b.cancel();
  a.callback(1);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].first);
  EXPECT_FALSE(got[1].first);
  EXPECT_TRUE(std::get<Failure>(got[1].second).check<CancelledError>());
}
