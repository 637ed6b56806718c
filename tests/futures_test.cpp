// The futures model (Tornado's vocabulary): Future chains, failures, done-callbacks, misuse
// (InvalidStateError), multi, with_timeout, run_sync; IOLoop callbacks, timers and fd
// handlers; Semaphore (FIFO waiters, the bound, slots back on failure); run_in_executor;
// IOStream over loopback (delimited, sized and partial reads, a write large enough to be
// partial, a peer that closes, a refused connection); and the model's workloads, verified.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include "models/core/tcp.hpp"
#include "models/futures/info.hpp"
#include "models/futures/io_loop.hpp"
#include "models/futures/iostream.hpp"
#include "models/futures/locks.hpp"
#include "models/futures/multi.hpp"
#include "models/futures/tcp_client.hpp"
#include "models/futures/tcp_server.hpp"
#include "models/futures/with_timeout.hpp"
#include "workloads/cpu_bound/spec.hpp"
#include "workloads/sleep_fanout/spec.hpp"

using namespace cmbench;
using namespace cmbench::futures;
using namespace std::chrono_literals;

namespace {

std::exception_ptr error(const char* what) {
  return std::make_exception_ptr(std::runtime_error(what));
}

std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  }
}

// A continuation that counts its calls and passes the value on.
auto counting(int& calls) {
  return [&calls](int v) {
    ++calls;
    return v;
  };
}

// Collects what the loop reports (failing callbacks, dropped failures).
struct Reports {
  std::vector<std::string> lines;
  explicit Reports(IOLoop& loop) {
    loop.engine().set_error_handler([this](std::string_view what) { lines.emplace_back(what); });
  }
};

}  // namespace

// ---- Future --------------------------------------------------------------------------

TEST(Future, ThenChainsTransformTheValueAndChangeItsType) {
  Future<int> f;
  Future<std::string> g =
      f.then([](int v) { return v * 2; }).then([](int v) { return "got " + std::to_string(v); });
  EXPECT_FALSE(g.done());
  f.set_result(21);
  ASSERT_TRUE(g.done());
  EXPECT_EQ(g.result(), "got 42");
}

TEST(Future, ThenOnADoneFutureRunsAtOnce) {
  Future<int> f;
  f.set_result(1);
  auto g = f.then([](const int& v) { return v + 1; });
  ASSERT_TRUE(g.done());
  EXPECT_EQ(g.result(), 2);
}

TEST(Future, ThenFlattensAFutureReturnedByTheContinuation) {
  Future<int> first;
  Future<std::string> second;
  Future<std::string> g = first.then([second](int) { return second; });
  first.set_result(1);
  EXPECT_FALSE(g.done());  // waits for the future the continuation returned
  second.set_result("inner");
  ASSERT_TRUE(g.done());
  EXPECT_EQ(g.result(), "inner");
}

TEST(Future, VoidFuturesChainToValuesAndBack) {
  Future<void> f;
  int side = 0;
  Future<void> g = f.then([] { return 5; }).then([&side](int v) { side = v; });
  f.set_result();
  ASSERT_TRUE(g.done());
  g.result();  // does not throw
  EXPECT_EQ(side, 5);
}

TEST(Future, AnExceptionSkipsTheRestOfTheChainAndArrivesAtTheEnd) {
  Future<int> f;
  int called = 0;
  auto g = f.then(counting(called)).then(counting(called));
  f.set_exception(error("source failed"));
  ASSERT_TRUE(g.done());
  EXPECT_EQ(called, 0);
  EXPECT_EQ(what_of(g.exception()), "source failed");
  EXPECT_THROW(g.result(), std::runtime_error);
}

TEST(Future, AThrowingContinuationFailsItsFutureAndTheRestOfTheChain) {
  Future<int> f;
  int called = 0;
  auto g =
      f.then([](int) -> int { throw std::invalid_argument("bad value"); }).then(counting(called));
  f.set_result(1);
  EXPECT_EQ(called, 0);
  EXPECT_THROW(g.result(), std::invalid_argument);
}

TEST(Future, DoneCallbacksRunInOrderOnResolutionAndAtOnceWhenAddedLater) {
  Future<int> f;
  std::vector<std::string> log;
  f.add_done_callback(
      [&](Future<int>& done) { log.push_back("a" + std::to_string(done.result())); });
  f.add_done_callback([&](Future<int>&) { log.push_back("b"); });
  f.add_done_callback([&](Future<int>&) { log.push_back("c"); });
  EXPECT_TRUE(log.empty());
  f.set_result(7);
  EXPECT_THAT(log, ::testing::ElementsAre("a7", "b", "c"));
  f.add_done_callback([&](Future<int>&) { log.push_back("late"); });
  EXPECT_EQ(log.back(), "late");
}

TEST(Future, AThrowingDoneCallbackIsReportedAndTheOthersStillRun) {
  IOLoop loop;
  Reports reports(loop);
  Future<int> f;
  bool second = false;
  f.add_done_callback([](Future<int>&) { throw std::runtime_error("callback boom"); });
  f.add_done_callback([&](Future<int>&) { second = true; });
  f.set_result(1);  // does not throw: the producer is not the follower's keeper
  EXPECT_TRUE(second);
  EXPECT_THAT(reports.lines, ::testing::ElementsAre("callback boom"));
}

TEST(Future, MisuseRaisesInvalidStateError) {
  Future<int> f;
  EXPECT_THROW(f.result(), InvalidStateError);
  EXPECT_THROW(f.exception(), InvalidStateError);
  f.set_result(1);
  EXPECT_THROW(f.set_result(2), InvalidStateError);
  EXPECT_THROW(f.set_exception(error("late")), InvalidStateError);
  EXPECT_EQ(f.result(), 1);
  EXPECT_EQ(f.exception(), nullptr);
}

TEST(Future, MoveOnlyValuesFlowThroughChains) {
  Future<std::unique_ptr<int>> f;
  auto take = [](std::unique_ptr<int>& p) { return std::move(p); };
  auto g = f.then(take).then([](std::unique_ptr<int>& p) { return *p + 1; });
  f.set_result(std::make_unique<int>(41));
  EXPECT_EQ(g.result(), 42);
}

TEST(Future, ALongChainResolvedAtOnceRunsWithoutExhaustingTheStack) {
  IOLoop loop;
  const int n = 100'000;
  int result = loop.run_sync([n] {
    Future<int> head;
    Future<int> tail = head;
    for (int i = 0; i < n; ++i) tail = tail.then([](int v) { return v + 1; });
    head.set_result(0);  // past 64 nested resolutions the rest continue on later turns
    return tail;
  });
  EXPECT_EQ(result, n);
}

// Collects the "never retrieved" reports of this thread while alive.
struct Unretrieved {
  std::vector<std::string> whats;
  UnretrievedExceptionHandler previous;
  Unretrieved()
      : previous(set_unretrieved_exception_handler(
            [this](const std::exception_ptr& e) { whats.push_back(what_of(e)); })) {}
  ~Unretrieved() { set_unretrieved_exception_handler(std::move(previous)); }
};

TEST(FutureNeverRetrieved, AFailedFutureNobodyLookedAtIsReportedWhenItDies) {
  Unretrieved reports;
  {
    Future<int> f;
    Future<int> copy = f;
    f.set_exception(error("disk full"));
    EXPECT_TRUE(reports.whats.empty());  // not while a handle could still look
  }
  EXPECT_THAT(reports.whats, ::testing::ElementsAre("disk full"));
}

TEST(FutureNeverRetrieved, LookingAtTheExceptionInAnyWaySilencesIt) {
  Unretrieved reports;
  {
    Future<int> f;
    f.set_exception(error("seen by exception()"));
    EXPECT_NE(f.exception(), nullptr);
  }
  {
    Future<int> f;
    f.set_exception(error("seen by result()"));
    EXPECT_THROW(f.result(), std::runtime_error);
  }
  {
    Future<int> f;
    auto g = f.then([](int v) { return v; });
    f.set_exception(error("passed on by then"));  // f's is passed on, g's is seen
    EXPECT_NE(g.exception(), nullptr);
  }
  {
    std::vector<Future<int>> children(2);
    auto all = multi(children);
    children[0].set_exception(error("collected by multi"));
    children[1].set_result(1);
    EXPECT_NE(all.exception(), nullptr);
  }
  EXPECT_TRUE(reports.whats.empty()) << ::testing::PrintToString(reports.whats);
}

TEST(FutureNeverRetrieved, AChainNobodyFollowsReportsItsLastFutureOnce) {
  Unretrieved reports;
  {
    Future<int> f;
    f.then([](int v) { return v + 1; }).then([](int v) { return v * 2; });
    f.set_exception(error("nobody awaited the chain"));
  }
  EXPECT_THAT(reports.whats, ::testing::ElementsAre("nobody awaited the chain"));
}

TEST(FutureNeverRetrieved, SuccessAndPendingFuturesAreNeverReported) {
  Unretrieved reports;
  {
    Future<int> ok;
    ok.set_result(1);
    Future<void> pending;
  }
  EXPECT_TRUE(reports.whats.empty());
}

// ---- multi and with_timeout ------------------------------------------------------------

TEST(FutureMulti, ResultsComeInCallOrderWhateverTheCompletionOrder) {
  std::vector<Future<int>> children(4);
  auto all = multi(children);
  children[2].set_result(2);
  children[0].set_result(0);
  children[3].set_result(3);
  EXPECT_FALSE(all.done());
  children[1].set_result(1);
  ASSERT_TRUE(all.done());
  EXPECT_THAT(all.result(), ::testing::ElementsAre(0, 1, 2, 3));
}

TEST(FutureMulti, ChildrenOnTheLoopFinishingInReverseOrder) {
  IOLoop loop;
  auto order = loop.run_sync([] {
    std::vector<Future<int>> children;
    for (int i = 0; i < 5; ++i)
      children.push_back(sleep(std::chrono::milliseconds(5 - i)).then([i] { return i; }));
    return multi(std::move(children));
  });
  EXPECT_THAT(order, ::testing::ElementsAre(0, 1, 2, 3, 4));
}

TEST(FutureMulti, FailsWithTheFirstFailureAndReportsTheLaterOnes) {
  IOLoop loop;
  Reports reports(loop);
  std::vector<Future<int>> children(3);
  auto all = multi(children);
  children[1].set_exception(error("first"));
  ASSERT_TRUE(all.done());  // at once, without waiting for the others
  EXPECT_EQ(what_of(all.exception()), "first");
  children[0].set_result(0);  // still runs to the end; its value is dropped
  children[2].set_exception(error("second"));
  EXPECT_THAT(reports.lines, ::testing::ElementsAre(::testing::HasSubstr("second")));
}

TEST(FutureMulti, OfNothingOrOfVoidFutures) {
  EXPECT_TRUE(multi(std::vector<Future<int>>{}).result().empty());
  std::vector<Future<void>> children(2);
  auto all = multi(children);
  children[0].set_result();
  EXPECT_FALSE(all.done());
  children[1].set_result();
  EXPECT_TRUE(all.done());
}

TEST(FutureWithTimeout, FailsWithTimeoutErrorWhenTheInnerFutureIsLate) {
  IOLoop loop;
  Future<int> slow = sleep(200ms).then([] { return 1; });
  EXPECT_THROW(loop.run_sync([&] { return with_timeout(5ms, slow); }), TimeoutError);
  EXPECT_FALSE(slow.done());  // not cancelled: Tornado's semantics
  EXPECT_EQ(loop.run_sync([&] { return slow; }), 1);
}

TEST(FutureWithTimeout, PassesTheResultThroughAndRemovesItsTimer) {
  IOLoop loop;
  int v = loop.run_sync([] { return with_timeout(10s, sleep(1ms).then([] { return 9; })); });
  EXPECT_EQ(v, 9);
  EXPECT_EQ(loop.engine().pending_timers(), 0u);  // the 10 s timer is gone
}

// ---- IOLoop ----------------------------------------------------------------------------

TEST(IOLoop, RunSyncReturnsTheResultOrRethrows) {
  IOLoop loop;
  EXPECT_EQ(loop.run_sync([] { return sleep(1ms).then([] { return std::string("done"); }); }),
            "done");
  auto failing = [] { return sleep(1ms).then([]() -> int { throw std::out_of_range("inside"); }); };
  EXPECT_THROW(loop.run_sync(failing), std::out_of_range);
}

TEST(IOLoop, RunSyncThrowsWhenTheLoopRunsOutOfWorkFirst) {
  IOLoop loop;
  Future<int> never;
  EXPECT_THROW(loop.run_sync([&] { return never; }), std::runtime_error);
}

TEST(IOLoop, CallbacksRunInOrderAndTimersByDeadline) {
  IOLoop loop;
  std::vector<std::string> log;
  // Delays long enough that neither timer can fall due before the loop's first turn, even
  // on a loaded machine under a sanitizer (timers run before the ready callbacks).
  loop.call_later(100ms, [&] { log.push_back("late"); });
  loop.call_later(50ms, [&] { log.push_back("early"); });
  loop.add_callback([&] { log.push_back("first"); });
  loop.add_callback([&] { log.push_back("second"); });
  loop.start();
  EXPECT_THAT(log, ::testing::ElementsAre("first", "second", "early", "late"));
}

TEST(IOLoop, RemoveTimeoutCancelsATimer) {
  IOLoop loop;
  bool ran = false;
  auto t = loop.call_later(5ms, [&] { ran = true; });
  loop.call_later(1ms, [&] { loop.remove_timeout(t); });
  loop.start();
  EXPECT_FALSE(ran);
}

TEST(IOLoop, AddHandlerSeesAPipeBecomeReadable) {
  IOLoop loop;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::string got;
  loop.add_handler(
      fds[0],
      [&](int fd, std::uint32_t events) {
        ASSERT_TRUE(events & IOLoop::READ);
        char buf[16];
        auto n = read(fd, buf, sizeof buf);
        got.append(buf, static_cast<std::size_t>(n));
        if (got == "ping") loop.remove_handler(fd);  // from inside its own handler
      },
      IOLoop::READ);
  loop.call_later(1ms, [&] { ASSERT_EQ(write(fds[1], "pi", 2), 2); });
  loop.call_later(2ms, [&] { ASSERT_EQ(write(fds[1], "ng", 2), 2); });
  loop.start();  // returns once the handler is gone
  EXPECT_EQ(got, "ping");
  close(fds[0]);
  close(fds[1]);
}

TEST(IOLoop, AddCallbackFromAnotherThreadRunsOnTheLoopThread) {
  IOLoop loop;
  std::thread::id ran_on;
  Future<void> done;
  std::thread other([&] {
    std::this_thread::sleep_for(2ms);
    loop.add_callback([&] {
      ran_on = std::this_thread::get_id();
      done.set_result();
    });
  });
  loop.run_sync([&] { return with_timeout(10s, done); });  // the timer keeps the loop alive
  other.join();
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(IOLoop, CurrentIsTheLoopOfThisThread) {
  IOLoop loop;
  EXPECT_EQ(&IOLoop::current(), &loop);
  IOLoop* seen = nullptr;
  std::thread other([&] { seen = &IOLoop::current(); });  // a loop of that thread's own
  other.join();
  EXPECT_NE(seen, &loop);
}

TEST(IOLoop, RunInExecutorComputesElsewhereAndResolvesOnTheLoop) {
  IOLoop loop;
  const auto loop_thread = std::this_thread::get_id();
  std::thread::id worked_on, resolved_on;
  int v = loop.run_sync([&] {
    return loop
        .run_in_executor([&] {
          worked_on = std::this_thread::get_id();
          return 6 * 7;
        })
        .then([&](int r) {
          resolved_on = std::this_thread::get_id();
          return r;
        });
  });
  EXPECT_EQ(v, 42);
  EXPECT_NE(worked_on, loop_thread);
  EXPECT_EQ(resolved_on, loop_thread);
  auto failing = [&loop] {
    return loop.run_in_executor([]() -> int { throw std::domain_error("in the executor"); });
  };
  EXPECT_THROW(loop.run_sync(failing), std::domain_error);
}

// ---- IOStream --------------------------------------------------------------------------

namespace {

// A server that echoes each line it reads until the peer closes.
void echo_lines(IOStream stream) {
  stream.read_until("\n").add_done_callback([stream](Future<std::string>& line) mutable {
    if (line.exception()) return;  // the peer closed
    stream.write(line.result()).then([stream] { echo_lines(stream); });
  });
}

}  // namespace

TEST(IOStream, EchoesLinesAndSizedReadsOverLoopback) {
  IOLoop loop;
  TCPServer server(echo_lines);
  server.listen(0);
  auto got = loop.run_sync([&] {
    return TCPClient::connect(server.port()).then([](IOStream& client) {
      client.write("hello\nworld\n");
      return client.read_until("\n").then([client](std::string& first) mutable {
        return client.read_bytes(3).then([first](std::string& part) { return first + part; });
      });
    });
  });
  EXPECT_EQ(got, "hello\nwor");
}

TEST(IOStream, APartialReadGivesWhatHasArrivedUpToItsSize) {
  IOLoop loop;
  TCPServer server([](IOStream stream) { stream.write("hello world"); });
  server.listen(0);
  auto got = loop.run_sync([&] {
    return TCPClient::connect(server.port()).then([](IOStream& client) {
      return client.read_bytes(5, true).then([client](std::string& first) mutable {
        // The rest is buffered already: answered at once, not waited for up to 100 bytes.
        return client.read_bytes(100, true).then(
            [first](std::string& rest) { return first + "|" + rest; });
      });
    });
  });
  EXPECT_EQ(got, "hello| world");
}

TEST(IOStream, AFourMebibyteWriteGoesOutInPartsAndComesBackWhole) {
  IOLoop loop;
  const std::size_t size = 4 << 20;
  std::string payload(size, '\0');
  for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<char>('a' + i * 7 % 26);
  TCPServer server([size](IOStream stream) {
    stream.read_bytes(size).then([stream](std::string& all) mutable { return stream.write(all); });
  });
  server.listen(0);
  bool written_at_once = true;
  auto back = loop.run_sync([&] {
    return TCPClient::connect(server.port()).then([&](IOStream& client) {
      auto written = client.write(payload);
      written_at_once = written.done();  // the kernel cannot take 4 MiB in one send
      return written.then([client, size]() mutable { return client.read_bytes(size); });
    });
  });
  EXPECT_FALSE(written_at_once);
  EXPECT_TRUE(back == payload);
}

TEST(IOStream, ReadingFromAPeerThatClosesFailsWithStreamClosedError) {
  IOLoop loop;
  TCPServer server(
      [](IOStream stream) { stream.write("par").then([stream]() mutable { stream.close(); }); });
  server.listen(0);
  std::optional<IOStream> client;
  auto read_a_line = [&] {
    return TCPClient::connect(server.port()).then([&](IOStream& s) {
      client = s;
      return s.read_until("\n");  // "par" arrives, then end of stream: no line
    });
  };
  EXPECT_THROW(loop.run_sync(read_a_line), StreamClosedError);
  // The same when the end of stream is already waiting in the socket as the read starts.
  auto read_a_line_later = [&] {
    return TCPClient::connect(server.port()).then([](IOStream& s) {
      return sleep(5ms)
          .then([s]() mutable { return s.read_bytes(3); })
          .then([s](std::string&) mutable { return s.read_until("\n"); });
    });
  };
  EXPECT_THROW(loop.run_sync(read_a_line_later), StreamClosedError);
  ASSERT_TRUE(client);
  EXPECT_TRUE(client->closed());
  EXPECT_EQ(loop.run_sync([&] { return client->read_bytes(3); }), "par");  // still buffered
  EXPECT_THROW(loop.run_sync([&] { return client->read_bytes(1); }), StreamClosedError);
  EXPECT_THROW(loop.run_sync([&] { return client->write("x"); }), StreamClosedError);
}

TEST(IOStream, ConnectingToAClosedPortFails) {
  IOLoop loop;
  std::uint16_t port;
  {
    Fd probe = tcp::listen(0);
    port = tcp::local_port(probe.get());
  }  // closed: nobody listens there now
  try {
    loop.run_sync([port] { return TCPClient::connect(port); });
    FAIL() << "connected to a closed port";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ECONNREFUSED);
  }
}

// ---- Semaphore --------------------------------------------------------------------------

TEST(Semaphore, AcquireResolvesAtOnceWhileSlotsAreFreeThenWaitersInOrder) {
  Semaphore sem(2);
  std::vector<int> got;
  for (int i = 0; i < 5; ++i)
    sem.acquire().add_done_callback([&got, i](Future<void>&) { got.push_back(i); });
  EXPECT_THAT(got, ::testing::ElementsAre(0, 1));
  EXPECT_EQ(sem.value(), 0u);
  EXPECT_EQ(sem.waiting(), 3u);
  sem.release();  // the slot goes to the first waiter, at once
  EXPECT_THAT(got, ::testing::ElementsAre(0, 1, 2));
  sem.release();
  sem.release();
  EXPECT_THAT(got, ::testing::ElementsAre(0, 1, 2, 3, 4));
  sem.release();
  sem.release();
  EXPECT_EQ(sem.value(), 2u);
  sem.release();  // Tornado's Semaphore lets the count grow ...
  EXPECT_EQ(sem.value(), 3u);
  BoundedSemaphore bounded(1);
  bounded.acquire();
  bounded.release();
  EXPECT_THROW(bounded.release(), std::logic_error);  // ... a BoundedSemaphore does not
}

TEST(Semaphore, BoundsOperationsThatReleaseOnSuccessAndFailureAlike) {
  IOLoop loop;
  Semaphore sem(3);
  int running = 0, peak = 0;
  std::vector<int> started;
  // Operation i takes (i % 4) ms and fails when i is a multiple of 5.
  auto operation = [&](int i) {
    started.push_back(i);
    peak = std::max(peak, ++running);
    return futures::sleep(std::chrono::milliseconds(i % 4)).then([&, i] {
      --running;
      if (i % 5 == 0) throw std::runtime_error("operation failed");
      return i;
    });
  };
  std::vector<Future<int>> all;
  for (int i = 0; i < 20; ++i)
    all.push_back(sem.acquire().then([&, i] {
      Future<int> op = operation(i);
      op.add_done_callback([&](Future<int>&) { sem.release(); });
      return op;
    }));
  std::vector<int> ok;
  int failed = 0;
  Future<void> all_done;
  for (auto& f : all)
    f.add_done_callback([&](Future<int>& done) {
      if (done.exception())
        ++failed;
      else
        ok.push_back(done.result());
      if (ok.size() + failed == all.size()) all_done.set_result();
    });
  loop.run_sync([&] { return all_done; });
  EXPECT_EQ(ok.size() + failed, 20u);
  EXPECT_EQ(failed, 4);
  EXPECT_EQ(peak, 3);
  EXPECT_EQ(running, 0);
  EXPECT_EQ(started.size(), 20u);
  EXPECT_THAT(std::vector(started.begin(), started.begin() + 3), ::testing::ElementsAre(0, 1, 2));
  EXPECT_EQ(sem.value(), 3u);
}

// ---- the workloads ----------------------------------------------------------------------

TEST(FuturesWorkloads, SleepFanoutIsVerified) {
  for (const char* n : {"3", "100000"}) {
    auto p = sleep_fanout::make_params(ParamValues({{"N", n}, {"d", "10ms"}, {"w", "1"}}));
    auto r = sleep_fanout::futures(p);
    auto v = sleep_fanout::verify(p, r, futures::info);
    EXPECT_TRUE(v.ok) << "N=" << n << ": " << v.why;
  }
}

TEST(FuturesWorkloads, CpuBoundIsVerifiedOffloadedAndOnTheLoop) {
  auto p = cpu_bound::make_params(ParamValues({{"K", "2"}, {"width", "300"}}));
  auto offloaded = cpu_bound::verify(p, cpu_bound::futures(p), futures::info);
  EXPECT_TRUE(offloaded.ok) << offloaded.why;
  auto on_loop = cpu_bound::verify(p, cpu_bound::futures_on_loop(p), futures::info);
  EXPECT_TRUE(on_loop.ok) << on_loop.why;
  EXPECT_EQ(on_loop.peak_in_flight, 1u);  // one thread: concurrency without parallelism
}
