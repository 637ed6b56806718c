// The coroutines model's streams (asyncio's open_connection / start_server, StreamReader,
// StreamWriter) over loopback: an echo round trip; the reads' semantics at the end of the
// stream and at the limit; backpressure through drain(); a hundred concurrent clients; a
// peer's reset; a refused connection; misuse; cancellation of a read, a drain, a handler
// and a connect; and that no descriptor is left open (checked after every test).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "models/core/fd.hpp"
#include "models/core/tcp.hpp"
#include "models/coroutines/errors.hpp"
#include "models/coroutines/event.hpp"
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/gather.hpp"
#include "models/coroutines/open_connection.hpp"
#include "models/coroutines/server.hpp"
#include "models/coroutines/sleep.hpp"
#include "models/coroutines/stream_reader.hpp"
#include "models/coroutines/stream_writer.hpp"
#include "models/coroutines/wait.hpp"

using namespace cmbench;
using namespace cmbench::coroutines;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

namespace {

std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    ++n;
  return n;
}

// Lets the loop turn at least n times, polling for I/O each time: a sleep(0) resumes on a
// later turn than the one it was called in, after the steps queued before it.
Task<void> turns(int n) {
  for (int i = 0; i < n; ++i) co_await sleep(0ns);
}

// A guard for waits that must end: a failure raises TimeoutError instead of hanging.
constexpr auto must_finish = 5s;

std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return s;
}

// Echoes lines until the end of the stream, then closes.
Task<void> echo(StreamReader reader, StreamWriter writer) {
  for (;;) {
    std::string line = co_await reader.readline();
    if (line.empty()) break;
    writer.write(line);
    co_await writer.drain();
  }
  writer.close();
  co_await writer.wait_closed();
}

// A handler that writes `parts`, a turn of the loop apart, then closes.
ClientConnected sends(std::vector<std::string> parts) {
  return [parts = std::move(parts)](StreamReader, StreamWriter writer) -> Task<void> {
    for (const std::string& part : parts) {
      writer.write(part);
      co_await writer.drain();
      co_await sleep(0ns);
    }
    writer.close();
    co_await writer.wait_closed();
  };
}

// A client: sends a line, returns the line it gets back.
Task<std::string> ask(std::uint16_t port, std::string line) {
  auto [reader, writer] = co_await open_connection(port);
  writer.write(line);
  std::string reply = co_await reader.readline();
  writer.close();
  co_await writer.wait_closed();
  co_return reply;
}

// The other end of a connection made by open_connection, from a plain listening socket.
Fd accept_now(const Fd& listener) {
  pollfd p{listener.get(), POLLIN, 0};
  ::poll(&p, 1, 1000);
  return tcp::accept(listener.get());
}

// Closes with an RST instead of a FIN: the peer's next read fails with ECONNRESET.
void reset(Fd& socket) {
  linger abort{1, 0};
  ::setsockopt(socket.get(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  socket.reset();
}

// Every test: what the reactor reports (a handler that raised) is collected, and no
// descriptor is left open once the loop has finished.
class StreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EventLoop::current().engine().set_error_handler(
        [this](std::string_view what) { reports.emplace_back(what); });
    fds_before_ = open_fds();  // after the loop's own epoll and eventfd exist
  }
  void TearDown() override {
    EventLoop::current().engine().set_error_handler(nullptr);
    EXPECT_THAT(reports, ::testing::IsEmpty()) << "the reactor reported failures";
    EXPECT_EQ(open_fds(), fds_before_) << "a descriptor was left open";
  }
  std::vector<std::string> reports;

 private:
  std::size_t fds_before_ = 0;
};

class CoroutineStreams : public StreamTest {};
class CoroutineStreamsErrors : public StreamTest {};
class CoroutineStreamsCancellation : public StreamTest {};

}  // namespace

// ---- round trips and the reads' semantics -----------------------------------------------

TEST_F(CoroutineStreams, EchoServerAndClientRoundTrip) {
  auto amain = []() -> Task<void> {
    Server server = co_await start_server(echo, "127.0.0.1", 0);
    EXPECT_TRUE(server.is_serving());
    EXPECT_NE(server.port(), 0);
    auto [reader, writer] = co_await open_connection("127.0.0.1", server.port());
    writer.write("hello\n");
    writer.write("world\n");
    co_await writer.drain();
    EXPECT_EQ(co_await reader.readline(), "hello\n");
    EXPECT_EQ(co_await reader.readline(), "world\n");
    writer.write_eof();  // the server reads the end of the stream, and closes
    EXPECT_EQ(co_await reader.read(), "");
    EXPECT_TRUE(reader.at_eof());
    EXPECT_FALSE(writer.is_closing());
    writer.close();
    EXPECT_TRUE(writer.is_closing());
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();
    EXPECT_FALSE(server.is_serving());
  };
  run(amain());
}

TEST_F(CoroutineStreams, ReadsAnswerFromTheBufferAndReturnPartialDataAtTheEnd) {
  auto amain = []() -> Task<void> {
    ClientConnected script = sends({"line1\nline2\r\nABCDEFGHIJrest"});
    Server server = co_await start_server(script);
    auto [reader, writer] = co_await open_connection(server.port());
    EXPECT_EQ(co_await reader.readline(), "line1\n");
    EXPECT_EQ(co_await reader.readuntil("\r\n"), "line2\r\n");
    EXPECT_EQ(co_await reader.readexactly(4), "ABCD");
    EXPECT_EQ(co_await reader.read(3), "EFG");  // one write, so it has all arrived
    EXPECT_EQ(co_await reader.readexactly(0), "");
    try {
      co_await reader.readexactly(100);
      ADD_FAILURE() << "readexactly(100) of 7 bytes and the end of the stream returned";
    } catch (const IncompleteReadError& e) {
      EXPECT_EQ(e.partial(), "HIJrest");
      EXPECT_EQ(e.expected(), std::optional<std::size_t>(100));
    }
    EXPECT_TRUE(reader.at_eof());
    EXPECT_EQ(co_await reader.read(), "");
    EXPECT_EQ(co_await reader.read(10), "");
    EXPECT_EQ(co_await reader.readline(), "");
  };
  run(amain());
}

TEST_F(CoroutineStreams, ReadAllReadlineAndReaduntilAtTheEndOfTheStream) {
  auto amain = []() -> Task<void> {
    // read(-1) gathers every part until the end, however many writes it came in.
    ClientConnected parts = sends({"a", "b\nc", "d"});
    Server many = co_await start_server(parts);
    auto [r1, w1] = co_await open_connection(many.port());
    EXPECT_EQ(co_await r1.read(-1), "ab\ncd");
    EXPECT_TRUE(r1.at_eof());

    // readline returns the last line without its '\n'; readuntil raises with it.
    ClientConnected partial = sends({"x\npartial"});
    Server lines = co_await start_server(partial);
    auto [r2, w2] = co_await open_connection(lines.port());
    EXPECT_EQ(co_await r2.readline(), "x\n");
    EXPECT_EQ(co_await r2.readline(), "partial");
    EXPECT_EQ(co_await r2.readline(), "");

    auto [r3, w3] = co_await open_connection(lines.port());
    EXPECT_EQ(co_await r3.readuntil("\n"), "x\n");
    try {
      co_await r3.readuntil("\n");
      ADD_FAILURE() << "readuntil returned without its separator";
    } catch (const IncompleteReadError& e) {
      EXPECT_EQ(e.partial(), "partial");
      EXPECT_EQ(e.expected(), std::nullopt);
    }
    EXPECT_TRUE(r3.at_eof());
  };
  run(amain());
}

TEST_F(CoroutineStreams, ReadlineAndReaduntilRaiseLimitOverrunErrorPastTheLimit) {
  auto amain = []() -> Task<void> {
    const std::string long_line = "0123456789abcdefghijXYZ\n";  // 24 bytes: over 16
    ClientConnected script = sends({long_line + "short\n" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ\n" +
                                    "ok\n" + "no-separator-here-long"});
    Server server = co_await start_server(script);
    auto [reader, writer] = co_await open_connection(server.port(), 16);
    EXPECT_EQ(reader.limit(), 16u);
    try {  // readuntil leaves the data where it was
      co_await reader.readuntil("\n");
      ADD_FAILURE() << "readuntil returned a chunk longer than the limit";
    } catch (const LimitOverrunError& e) {
      EXPECT_EQ(e.consumed(), 23u);
    }
    EXPECT_EQ(co_await reader.readexactly(long_line.size()), long_line);
    EXPECT_EQ(co_await reader.readline(), "short\n");
    EXPECT_THROW(co_await reader.readline(), LimitOverrunError);  // and drops that line
    EXPECT_EQ(co_await reader.readline(), "ok\n");
    try {  // 22 bytes with no separator: over the limit before the end of the stream
      co_await reader.readuntil("\n");
      ADD_FAILURE() << "readuntil searched past the limit";
    } catch (const LimitOverrunError& e) {
      EXPECT_GT(e.consumed(), 16u);
    }
    EXPECT_EQ(co_await reader.read(-1), "no-separator-here-long");
  };
  run(amain());
}

TEST_F(CoroutineStreams, ALargeWriteWaitsInDrainUntilASlowReaderCatchesUp) {
  const std::string payload = pattern(8 << 20);
  std::string received;
  Event start_reading;
  auto slow_reader = [&](StreamReader reader, StreamWriter writer) -> Task<void> {
    co_await start_reading.wait();
    for (std::string chunk; !(chunk = co_await reader.read(64 * 1024)).empty();) received += chunk;
    writer.close();
    co_await writer.wait_closed();
  };
  auto amain = [&]() -> Task<void> {
    ClientConnected handler = slow_reader;
    Server server = co_await start_server(handler);
    auto [reader, writer] = co_await open_connection(server.port());
    writer.write(payload);  // returns at once: the kernel takes what it can, we keep the rest
    EXPECT_GT(writer.get_write_buffer_size(), 64u * 1024)
        << "the kernel took 8 MiB at once: nothing is left to wait for";

    bool drained = false;
    auto drain = [&drained](StreamWriter w) -> Task<void> {
      co_await w.drain();
      drained = true;
    };
    Task<void> draining = create_task(drain(writer));
    co_await turns(10);
    EXPECT_FALSE(drained) << "drain() returned while nobody was reading";
    start_reading.set();
    co_await wait_for(draining, must_finish);
    EXPECT_LE(writer.get_write_buffer_size(), 16u * 1024) << "drain() returned above low water";

    writer.close();
    co_await writer.wait_closed();
    server.close();
    co_await wait_for(server.wait_closed(), must_finish);
  };
  run(amain());
  EXPECT_EQ(received.size(), payload.size());
  EXPECT_TRUE(received == payload) << "the bytes differ";
}

namespace {

// A hundred clients at once against one echo server; each handler runs as a task.
void serve_a_hundred_clients(RunOptions options) {
  constexpr int clients = 100;
  int live = 0, peak = 0, served = 0;
  auto counting_echo = [&](StreamReader reader, StreamWriter writer) -> Task<void> {
    peak = std::max(peak, ++live);
    std::string line = co_await reader.readline();
    writer.write("echo " + line);
    co_await writer.drain();
    ++served;
    --live;
  };
  auto amain = [&]() -> Task<void> {
    ClientConnected handler = counting_echo;
    Server server = co_await start_server(handler);
    std::vector<Task<std::string>> asking;
    for (int i = 0; i < clients; ++i)
      asking.push_back(ask(server.port(), "client " + std::to_string(i) + "\n"));
    std::vector<std::string> replies = co_await gather(std::move(asking));
    for (int i = 0; i < clients; ++i)
      EXPECT_EQ(replies[i], "echo client " + std::to_string(i) + "\n");
    server.close();
    co_await wait_for(server.wait_closed(), must_finish);
  };
  run(amain(), options);
  EXPECT_EQ(served, clients);
  EXPECT_GT(peak, 1) << "the handlers never ran concurrently";
  EXPECT_EQ(live, 0);
}

}  // namespace

TEST_F(CoroutineStreams, AHundredConcurrentClientsOfOneServer) {
  serve_a_hundred_clients({});
}

// Eager tasks run a handler's first step inside the server's accept, on the reactor's stack.
TEST_F(CoroutineStreams, AHundredConcurrentClientsWithEagerTasks) {
  serve_a_hundred_clients({.eager_tasks = true});
}

TEST_F(CoroutineStreams, AnEagerHandlerMayDropTheServerInsideTheAccept) {
  std::optional<Server> server;
  int handled = 0;
  auto drops_it = [&](StreamReader, StreamWriter) -> Task<void> {
    ++handled;
    server.reset();  // with eager tasks, this runs inside the server's accept
    co_return;       // and the task ends there too: nothing else holds the server now
  };
  auto amain = [&]() -> Task<void> {
    ClientConnected handler = drops_it;
    server = co_await start_server(handler);
    const std::uint16_t port = server->port();
    auto [reader, writer] = co_await open_connection(port);
    EXPECT_EQ(co_await reader.read(), "") << "the handler's connection should close";
    EXPECT_FALSE(server.has_value());
    EXPECT_THROW(co_await open_connection(port), ConnectionRefusedError);
  };
  run(amain(), {.eager_tasks = true});
  EXPECT_EQ(handled, 1);
}

TEST_F(CoroutineStreams, DroppingBothHalvesSendsWhatWasWrittenThenClosesTheDescriptor) {
  const std::string payload = pattern(4 << 20);
  std::string received;
  Event got_all;
  auto read_all = [&](StreamReader reader, StreamWriter) -> Task<void> {
    received = co_await reader.read(-1);
    got_all.set();
  };
  auto amain = [&]() -> Task<void> {
    ClientConnected handler = read_all;
    Server server = co_await start_server(handler);
    const std::size_t fds = open_fds();
    {
      auto [reader, writer] = co_await open_connection(server.port());
      writer.write(payload);  // no drain, no close: the handles just go
    }
    auto all_sent = [&]() -> Task<void> { co_await got_all.wait(); };
    co_await wait_for(all_sent(), must_finish);
    co_await turns(2);
    EXPECT_EQ(open_fds(), fds) << "a connection's descriptor outlived both its halves";
  };
  run(amain());
  EXPECT_TRUE(received == payload) << "got " << received.size() << " of " << payload.size();
}

TEST_F(CoroutineStreams, ServeForeverReturnsOnCloseAndCancellingItClosesTheServer) {
  auto amain = []() -> Task<void> {
    Server server = co_await start_server(echo);
    Task<void> serving = create_task(server.serve_forever());
    co_await turns(2);
    EXPECT_FALSE(serving.done());
    EXPECT_THROW(co_await server.serve_forever(), InvalidStateError);  // one at a time
    EXPECT_EQ(co_await ask(server.port(), "still serving\n"), "still serving\n");
    server.close();
    co_await wait_for(serving, must_finish);
    EXPECT_THROW(co_await server.serve_forever(), InvalidStateError);  // closed

    Server other = co_await start_server(echo);
    Task<void> forever = create_task(other.serve_forever());
    co_await turns(2);
    forever.cancel();
    EXPECT_THROW(co_await forever, CancelledError);
    EXPECT_FALSE(other.is_serving());
  };
  run(amain());
}

TEST_F(CoroutineStreams, LeavingRunWithStreamsOpenCancelsTheHandlersAndClosesEverything) {
  bool handler_cancelled = false;
  auto waits = [&](StreamReader reader, StreamWriter) -> Task<void> {
    try {
      co_await reader.readline();  // the client never sends a line, nor closes during run()
    } catch (const CancelledError&) {
      handler_cancelled = true;
      throw;
    }
  };
  std::optional<std::pair<StreamReader, StreamWriter>> client;  // outlives run()
  auto amain = [&]() -> Task<void> {
    ClientConnected handler = waits;
    Server server = co_await start_server(handler);
    client = co_await open_connection(server.port());
    co_await turns(3);  // the handler is waiting in readline
  };
  run(amain());  // cancels the handler's task: its connection closes with it
  EXPECT_TRUE(handler_cancelled);
  client.reset();  // the teardown checks that every descriptor is closed
}

// ---- failures ----------------------------------------------------------------------------

TEST_F(CoroutineStreamsErrors, APeerResetWhileAReadWaitsRaisesConnectionResetError) {
  auto amain = []() -> Task<void> {
    Fd listener = tcp::listen(0);
    auto [reader, writer] = co_await open_connection(tcp::local_port(listener.get()));
    Fd peer = accept_now(listener);
    auto read_some = [](StreamReader r) -> Task<std::string> { co_return co_await r.read(100); };
    Task<std::string> reading = create_task(read_some(reader));
    co_await turns(3);
    EXPECT_FALSE(reading.done()) << "the read should be waiting for data";
    reset(peer);
    try {
      co_await wait_for(reading, must_finish);
      ADD_FAILURE() << "a read from a reset connection returned";
    } catch (const ConnectionResetError& e) {
      EXPECT_EQ(e.code().value(), ECONNRESET);
    }
    EXPECT_TRUE(writer.is_closing());
    EXPECT_TRUE(reader.at_eof());
    EXPECT_THROW(writer.write("more"), ConnectionResetError);
    EXPECT_THROW(co_await writer.drain(), ConnectionResetError);
    EXPECT_THROW(co_await writer.wait_closed(), ConnectionResetError);
  };
  run(amain());
}

TEST_F(CoroutineStreamsErrors, BytesThatArrivedBeforeAResetAreStillRead) {
  auto amain = []() -> Task<void> {
    Fd listener = tcp::listen(0);
    auto [reader, writer] = co_await open_connection(tcp::local_port(listener.get()));
    Fd peer = accept_now(listener);
    EXPECT_EQ(::send(peer.get(), "early", 5, MSG_NOSIGNAL), 5);
    co_await turns(3);  // the connection reads them into its buffer
    reset(peer);
    co_await turns(3);  // and sees the reset, with nobody reading
    EXPECT_TRUE(writer.is_closing());
    EXPECT_EQ(co_await reader.read(100), "early");
    EXPECT_THROW(co_await reader.read(100), ConnectionResetError);
  };
  run(amain());
}

TEST_F(CoroutineStreamsErrors, ConnectingToAPortNobodyListensOnRaisesConnectionRefusedError) {
  static_assert(std::is_base_of_v<std::system_error, ConnectionRefusedError>);
  static_assert(std::is_base_of_v<ConnectionError, ConnectionRefusedError>);
  std::uint16_t port;
  {
    Fd listener = tcp::listen(0);
    port = tcp::local_port(listener.get());
  }
  auto amain = [port]() -> Task<void> {
    try {
      co_await open_connection(port);
      ADD_FAILURE() << "connected to a port nobody listens on";
    } catch (const ConnectionRefusedError& e) {
      EXPECT_EQ(e.code().value(), ECONNREFUSED);
      EXPECT_THAT(e.what(), HasSubstr("127.0.0.1:" + std::to_string(port)));
    }
  };
  run(amain());
}

TEST_F(CoroutineStreamsErrors, AHandlerThatRaisesIsReportedAndTheServerGoesOn) {
  auto fragile = [](StreamReader reader, StreamWriter writer) -> Task<void> {
    std::string line = co_await reader.readline();
    if (line == "boom\n") throw std::runtime_error("boom");
    writer.write(line);
  };
  auto amain = [&]() -> Task<void> {
    ClientConnected handler = fragile;
    Server server = co_await start_server(handler);
    auto [reader, writer] = co_await open_connection(server.port());
    writer.write("boom\n");
    EXPECT_EQ(co_await reader.read(), "") << "the failed handler's connection should close";
    EXPECT_EQ(co_await ask(server.port(), "fine\n"), "fine\n");
  };
  run(amain());
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_THAT(reports[0], HasSubstr("boom"));
  reports.clear();
}

TEST_F(CoroutineStreamsErrors, MisuseRaisesAtOnce) {
  auto amain = []() -> Task<void> {
    EXPECT_THROW(co_await open_connection("10.0.0.1", 80), std::invalid_argument);
    EXPECT_THROW(co_await start_server(echo, "0.0.0.0", 0), std::invalid_argument);
    EXPECT_THROW(co_await start_server(echo, 0, 0), std::invalid_argument);  // limit 0
    EXPECT_THROW(co_await start_server(nullptr), std::invalid_argument);

    Server server = co_await start_server(echo);
    auto [reader, writer] = co_await open_connection(server.port());
    EXPECT_THROW(co_await reader.readuntil(""), std::invalid_argument);
    EXPECT_THROW(writer.set_write_buffer_limits(10, 20), std::invalid_argument);

    // One reader at a time; the first is not disturbed by the second's failure.
    auto read_line = [](StreamReader r) -> Task<std::string> { co_return co_await r.readline(); };
    Task<std::string> first = create_task(read_line(reader));
    co_await turns(2);
    EXPECT_THROW(co_await reader.readline(), InvalidStateError);
    writer.write("for the first\n");
    EXPECT_EQ(co_await wait_for(first, must_finish), "for the first\n");

    writer.write_eof();
    EXPECT_THROW(writer.write("late"), InvalidStateError);
    writer.close();
    EXPECT_THROW(writer.write("later"), ConnectionResetError);
    co_await writer.wait_closed();
    EXPECT_THROW(co_await writer.drain(), ConnectionResetError);
  };
  run(amain());
}

// ---- cancellation ------------------------------------------------------------------------

TEST_F(CoroutineStreamsCancellation, ACancelledReadRaisesCancelledErrorAndLosesNoData) {
  auto amain = []() -> Task<void> {
    Server server = co_await start_server(echo);
    auto [reader, writer] = co_await open_connection(server.port());
    bool cleaned_up = false, saw_cancel = false;
    auto blocked = [&](StreamReader r) -> Task<std::string> {
      struct Cleanup {
        bool& done;
        ~Cleanup() { done = true; }
      } cleanup{cleaned_up};
      try {
        co_return co_await r.readexactly(10);
      } catch (const CancelledError&) {
        saw_cancel = true;
        throw;
      }
    };
    Task<std::string> reading = create_task(blocked(reader));
    writer.write("abcd\n");  // echoed: 5 of the 10 bytes the read waits for
    co_await turns(10);
    EXPECT_FALSE(reading.done());
    reading.cancel();
    EXPECT_THROW(co_await reading, CancelledError);
    EXPECT_TRUE(reading.cancelled());
    EXPECT_TRUE(saw_cancel);
    EXPECT_TRUE(cleaned_up);

    // The 5 bytes are still there, and the stream goes on.
    writer.write("fghij\n");
    EXPECT_EQ(co_await wait_for(reader.readexactly(11), must_finish), "abcd\nfghij\n");
    // The server and its other clients were not disturbed.
    EXPECT_EQ(co_await ask(server.port(), "another\n"), "another\n");
  };
  run(amain());
}

TEST_F(CoroutineStreamsCancellation, DataArrivingBetweenTheCancelAndTheRaiseIsKept) {
  auto amain = []() -> Task<void> {
    Fd listener = tcp::listen(0);
    auto [reader, writer] = co_await open_connection(tcp::local_port(listener.get()));
    Fd peer = accept_now(listener);
    auto read_some = [](StreamReader r) -> Task<std::string> { co_return co_await r.read(100); };
    Task<std::string> reading = create_task(read_some(reader));
    co_await turns(3);
    EXPECT_FALSE(reading.done());
    // In one step: the cancel queues the reader's last step, and the bytes are polled before
    // it runs. They must neither wake the cancelled read a second time nor be lost.
    EXPECT_EQ(::send(peer.get(), "x", 1, MSG_NOSIGNAL), 1);
    reading.cancel();
    EXPECT_THROW(co_await reading, CancelledError);
    EXPECT_EQ(co_await reader.read(100), "x");
  };
  run(amain());
}

TEST_F(CoroutineStreamsCancellation, ACancelledHandlerRunsItsCleanupAndTheServerGoesOn) {
  TaskRef first_handler;
  bool cleaned_up = false;
  auto handler = [&](StreamReader reader, StreamWriter writer) -> Task<void> {
    if (!first_handler) {
      first_handler = current_task();
      struct Cleanup {
        bool& done;
        ~Cleanup() { done = true; }
      } cleanup{cleaned_up};
      co_await reader.readline();  // the first client never sends a line
    } else {
      writer.write(co_await reader.readline());
    }
  };
  auto amain = [&]() -> Task<void> {
    ClientConnected serve = handler;
    Server server = co_await start_server(serve);
    auto [reader, writer] = co_await open_connection(server.port());
    co_await turns(5);
    EXPECT_TRUE(first_handler) << "the handler did not start";
    if (!first_handler) co_return;
    first_handler.cancel();
    co_await turns(3);
    EXPECT_TRUE(first_handler.cancelled());
    EXPECT_TRUE(cleaned_up);
    EXPECT_EQ(co_await reader.read(), "") << "the cancelled handler's connection should close";
    EXPECT_EQ(co_await ask(server.port(), "next\n"), "next\n");
    server.close();
    co_await wait_for(server.wait_closed(), must_finish);
  };
  run(amain());
}

TEST_F(CoroutineStreamsCancellation, ACancelledDrainRaisesAndTheBufferStillGoesOut) {
  const std::string payload = pattern(8 << 20);
  std::string received;
  Event start_reading;
  auto slow_reader = [&](StreamReader reader, StreamWriter) -> Task<void> {
    co_await start_reading.wait();
    received = co_await reader.read(-1);
  };
  auto amain = [&]() -> Task<void> {
    ClientConnected handler = slow_reader;
    Server server = co_await start_server(handler);
    auto [reader, writer] = co_await open_connection(server.port());
    writer.write(payload);
    auto drain = [](StreamWriter w) -> Task<void> { co_await w.drain(); };
    Task<void> draining = create_task(drain(writer));
    co_await turns(3);
    EXPECT_FALSE(draining.done());
    draining.cancel();
    EXPECT_THROW(co_await draining, CancelledError);
    start_reading.set();
    writer.close();  // after sending everything, which the reader now takes
    auto closed = [](StreamWriter w) -> Task<void> { co_await w.wait_closed(); };
    co_await wait_for(closed(writer), must_finish);
    server.close();
    co_await wait_for(server.wait_closed(), must_finish);
  };
  run(amain());
  EXPECT_TRUE(received == payload) << "got " << received.size() << " of " << payload.size();
}

TEST_F(CoroutineStreamsCancellation, ACancelledConnectRaisesCancelledErrorAndClosesItsSocket) {
  auto amain = []() -> Task<void> {
    // A backlog of 0 that nobody accepts from: once one connection is queued, the kernel
    // drops further SYNs, so the next connects stay pending.
    Fd listener = tcp::listen(0, 0);
    const std::uint16_t port = tcp::local_port(listener.get());
    std::vector<Fd> queued;
    for (int i = 0; i < 3; ++i) queued.push_back(tcp::connect(port));
    co_await turns(2);
    Task<std::pair<StreamReader, StreamWriter>> connecting = create_task(open_connection(port));
    co_await turns(5);
    EXPECT_FALSE(connecting.done()) << "the connect should still be pending";
    connecting.cancel();
    EXPECT_THROW(co_await connecting, CancelledError);
  };
  run(amain());
}
