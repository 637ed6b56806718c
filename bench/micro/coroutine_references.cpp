// The reference rows for the coroutines model's micro-benchmarks: what a C++20 coroutine
// costs with nothing around it (the floors), and what an industrial runtime pays for the
// same hand-off (asio). Four rows, from one run:
//   task_pingpong/floor — two raw coroutines handing an int back and forth by symmetric
//                         transfer: no loop, no queue, one indirect jump each way;
//   task_pingpong/asio  — the same exchange in asio: two coroutines co_spawn'd on one
//                         io_context, talking through two channels;
//   create_task/floor   — a bare lazy coroutine created, run to its end and destroyed: one
//                         frame allocated, resumed once and freed, nothing else;
//   skynet/floor        — a 10-ary tree of depth 6 of lazy tasks, each node awaiting its ten
//                         children one after the other (1 000 000 leaves, leaf i returns i).
// Items per second count round trips (A → B → A), coroutines, and leaves respectively.
// Not for: the cost of the coroutines model's own event loop or scheduling (its rows go
// beside these), nor waiting, I/O or anything across threads: everything here runs on the
// benchmark thread, and no row ever blocks. Nor for sanitizer builds: under ASan, g++ 12 makes
// every symmetric transfer a plain call (the coroutine's body has its stack frame to unpoison
// after the call returns), so transfer chains grow the stack and skynet/floor overflows it.
#include <benchmark/benchmark.h>

#include <asio.hpp>
#include <asio/experimental/channel.hpp>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

#include "micro.hpp"

namespace cmbench::micro {
namespace {

// The least a coroutine type can be: it starts suspended (so that its creator decides when it
// runs), stops at its end without destroying itself (so that the owner can see it finished),
// and its owner destroys the frame. No result and no continuation of its own.
class Lazy {
 public:
  struct promise_type {
    Lazy get_return_object() { return Lazy(Handle::from_promise(*this)); }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() {}
    // Nothing in these bodies throws; were it to, the exception reaches whoever resumed.
    void unhandled_exception() { throw; }
  };
  using Handle = std::coroutine_handle<promise_type>;

  explicit Lazy(Handle h) : handle_(h) {}
  Lazy(Lazy&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Lazy& operator=(Lazy&&) = delete;
  ~Lazy() {
    if (handle_) handle_.destroy();
  }

  Handle handle() const { return handle_; }

 private:
  Handle handle_;
};

// --- task_pingpong -------------------------------------------------------------------------

// Where the two players of the floor meet: the value in flight and who is who. Invariant:
// exactly one of the two is running; the other is suspended (in a Pass, or not yet started),
// and `ball` holds what the running one last handed over.
struct Table {
  std::int64_t ball = 0;
  std::coroutine_handle<> client, server;
};

// Puts a value on the table and gives the thread straight to the other player: returning a
// handle from await_suspend is symmetric transfer, a tail call into the other frame (with
// sibling-call optimisation, on at -O2), so the stack does not grow however many times they
// pass. Resumes with what the other passed back.
struct Pass {
  Table& table;
  std::coroutine_handle<> to;
  std::int64_t value;

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<>) noexcept {
    table.ball = value;
    return to;
  }
  std::int64_t await_resume() const noexcept { return table.ball; }
};

// Round trips per batch: enough that setting up the players (and asio's io_context) is lost
// in the noise, few enough that Google Benchmark still chooses the iteration count.
constexpr std::int64_t rounds = 10'000;

Lazy floor_client(Table& table, std::int64_t& total) {
  std::int64_t v = 0;
  for (std::int64_t i = 0; i < rounds; ++i) v = co_await Pass{table, table.server, v + 1};
  total = v;
}

// Never ends: its last Pass leaves it suspended, and its owner destroys it there.
Lazy floor_server(Table& table) {
  std::int64_t v = table.ball;
  for (;;) v = co_await Pass{table, table.client, v + 1};
}

void task_pingpong_floor(benchmark::State& state) {
  while (state.KeepRunningBatch(rounds)) {
    Table table;
    std::int64_t total = -1;
    Lazy client = floor_client(table, total);
    Lazy server = floor_server(table);
    table.client = client.handle();
    table.server = server.handle();
    client.handle().resume();  // returns when the client ends, after its last round trip
    check(total, 2 * rounds, "task_pingpong/floor");
  }
  state.SetItemsProcessed(state.iterations());
}

// asio's way for two coroutines to exchange a value: a channel each way. Every completed
// send or receive is posted to the io_context and resumes its coroutine from the queue,
// never inline, so one round trip is four trips through the executor.
using Channel = asio::experimental::channel<void(asio::error_code, std::int64_t)>;

asio::awaitable<void> asio_client(Channel& requests, Channel& replies, std::int64_t& total) {
  std::int64_t v = 0;
  for (std::int64_t i = 0; i < rounds; ++i) {
    co_await requests.async_send(asio::error_code{}, v + 1, asio::use_awaitable);
    v = co_await replies.async_receive(asio::use_awaitable);
  }
  total = v;
}

asio::awaitable<void> asio_server(Channel& requests, Channel& replies) {
  for (std::int64_t i = 0; i < rounds; ++i) {
    std::int64_t v = co_await requests.async_receive(asio::use_awaitable);
    co_await replies.async_send(asio::error_code{}, v + 1, asio::use_awaitable);
  }
}

void task_pingpong_asio(benchmark::State& state) {
  // A failure inside either coroutine is rethrown here, so that it leaves io.run().
  auto rethrow = [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  };
  while (state.KeepRunningBatch(rounds)) {
    asio::io_context io(1);  // the concurrency hint asio's own examples give for one thread
    // Capacity 1: a send completes without waiting for its receiver, as a queue's would
    // (a rendezvous channel, capacity 0, measured the same here).
    Channel requests(io, 1), replies(io, 1);
    std::int64_t total = -1;
    asio::co_spawn(io, asio_server(requests, replies), rethrow);
    asio::co_spawn(io, asio_client(requests, replies, total), rethrow);
    io.run();  // returns when both coroutines have ended
    check(total, 2 * rounds, "task_pingpong/asio");
  }
  state.SetItemsProcessed(state.iterations());
}

// --- create_task ---------------------------------------------------------------------------

Lazy bare(std::int64_t& ran) {
  ++ran;
  co_return;
}

void create_task_floor(benchmark::State& state) {
  std::int64_t ran = 0;
  for (auto _ : state) {
    Lazy task = bare(ran);
    // g++ 12 never elides a coroutine's frame (no HALO); escaping the handle keeps a
    // compiler that does from turning the row into a bare increment.
    auto h = task.handle();
    benchmark::DoNotOptimize(h);
    h.resume();
  }  // ~Lazy destroys the frame: creation, one run and destruction are all timed
  check(ran, state.iterations(), "create_task/floor");
  state.SetItemsProcessed(state.iterations());
}

// --- skynet --------------------------------------------------------------------------------

// A lazy task with a 64-bit result, as small as awaiting one another allows: the awaiting
// coroutine parks its handle in the child's promise and transfers to the child; the child's
// final suspension transfers back to it. Invariant: `continuation` is set before the body
// first runs, and the frame is destroyed only by its Task, after the result was read.
class Task {
 public:
  struct promise_type {
    std::int64_t result = 0;
    // A task nobody awaits (the root) gives the thread back to whoever resumed it.
    std::coroutine_handle<> continuation = std::noop_coroutine();

    Task get_return_object() { return Task(Handle::from_promise(*this)); }
    std::suspend_always initial_suspend() noexcept { return {}; }
    auto final_suspend() noexcept {
      struct ResumeContinuation {
        bool await_ready() const noexcept { return false; }
        std::coroutine_handle<> await_suspend(Handle done) noexcept {
          return done.promise().continuation;
        }
        void await_resume() const noexcept {}
      };
      return ResumeContinuation{};
    }
    void return_value(std::int64_t v) { result = v; }
    void unhandled_exception() { throw; }  // as Lazy's: nothing here throws
  };
  using Handle = std::coroutine_handle<promise_type>;

  explicit Task(Handle h) : handle_(h) {}
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&&) = delete;
  ~Task() {
    if (handle_) handle_.destroy();
  }

  // Awaiting a task starts it; the awaiting coroutine resumes when the task returns.
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
    handle_.promise().continuation = awaiting;
    return handle_;
  }
  std::int64_t await_resume() const noexcept { return handle_.promise().result; }

  // For the root, which nobody awaits: runs it until it ends (nothing here ever waits).
  std::int64_t run() {
    handle_.resume();
    if (!handle_.done()) throw std::runtime_error("a skynet task suspended without finishing");
    return handle_.promise().result;
  }

 private:
  Handle handle_;
};

// The children are awaited one at a time, so at most depth + 1 frames are alive at once:
// each child's frame is freed (at the end of the co_await's full expression) before the
// next is created.
Task skynet(std::int64_t num, int depth) {
  if (depth == 0) co_return num;
  std::int64_t sum = 0;
  for (int i = 0; i < 10; ++i) sum += co_await skynet(num * 10 + i, depth - 1);
  co_return sum;
}

constexpr int skynet_depth = 6;
constexpr std::int64_t skynet_leaves = 1'000'000;  // 10^depth
constexpr std::int64_t skynet_sum = skynet_leaves * (skynet_leaves - 1) / 2;

void skynet_floor(benchmark::State& state) {
  for (auto _ : state) check(skynet(0, skynet_depth).run(), skynet_sum, "skynet/floor");
  state.SetItemsProcessed(state.iterations() * skynet_leaves);
}

}  // namespace

void register_coroutine_references() {
  benchmark::RegisterBenchmark("micro/task_pingpong/floor", task_pingpong_floor);
  benchmark::RegisterBenchmark("micro/task_pingpong/asio", task_pingpong_asio);
  benchmark::RegisterBenchmark("micro/create_task/floor", create_task_floor);
  // ≈ 1.1 M frames, ≈ 20 ms per iteration: the default minimum time (0.5 s) gives a few dozen
  // iterations and the row stays under a second. No MinTime of its own, so that the suite's
  // --benchmark_min_time still governs it.
  benchmark::RegisterBenchmark("micro/skynet/floor", skynet_floor)->Unit(benchmark::kMillisecond);
}

}  // namespace cmbench::micro
