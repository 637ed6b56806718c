// ping_pong, coroutines: two asyncio tasks and two Queues, one each way. Each end awaits
// get() on its own queue, adds one and put()s the token in the other's; a put that finds the
// other end waiting hands the token straight to it and wakes it, which is a trip through
// the loop's ready queue. So a hand-off is a wake-up and one step of the loop: the cost the
// symmetric-transfer floor has none of.
// Split, asyncio's way across threads: each end is a task on its own loop, on its own
// pinned thread, and hands the token over with the other loop's call_soon_threadsafe
// (q.put_nowait scheduled there), which queues it under a mutex and wakes that loop.
#include "models/core/span.hpp"
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/gather.hpp"
#include "models/coroutines/queue.hpp"
#include "models/coroutines/sleep.hpp"
#include "spec.hpp"

namespace cmbench::ping_pong {
namespace {

using coroutines::Queue;
using coroutines::Task;

Task<void> ping(Queue<std::int64_t>& out, Queue<std::int64_t>& in, std::int64_t rounds, Result& r) {
  std::int64_t token = 0;
  const std::int64_t start = monotonic_ns();
  for (std::int64_t i = 0; i < rounds; ++i) {
    co_await out.put(token + 1);
    token = co_await in.get();
    ++r.handoffs;
  }
  r.elapsed_ns = monotonic_ns() - start;
  r.token = token;
}

Task<void> pong(Queue<std::int64_t>& in, Queue<std::int64_t>& out, std::int64_t rounds, Result& r) {
  for (std::int64_t i = 0; i < rounds; ++i) {
    const std::int64_t token = co_await in.get();
    ++r.handoffs;
    co_await out.put(token + 1);
  }
}

Task<void> rally(std::int64_t rounds, Result& r) {
  Queue<std::int64_t> there(1), back(1);
  co_await coroutines::gather(ping(there, back, rounds, r), pong(there, back, rounds, r));
}

// ---- split: one loop per end ----------------------------------------------------------------

// One end on its own loop. `inbox` is touched on this end's loop only: the other end puts
// into it through call_soon_threadsafe.
struct End {
  coroutines::EventLoop* loop = nullptr;
  Queue<std::int64_t> inbox;
  std::int64_t received = 0;
};

void hand_to(End& to, std::int64_t token) {
  to.loop->call_soon_threadsafe([&to, token] { to.inbox.put_nowait(token); });
}

// asyncio's loop runs until it is stopped; this model's run() ends as soon as nothing in the
// loop could wake its main task, and a call from another thread is not such a thing. A
// long sleep, cancelled when run() ends, keeps the loop waiting for the other thread.
Task<void> keep_loop_alive() {
  co_await coroutines::sleep(std::chrono::hours(24));
}

Task<void> remote_ping(End& me, End& other, std::int64_t rounds, Result& r) {
  auto alive = coroutines::create_task(keep_loop_alive());
  std::int64_t token = 0;
  const std::int64_t start = monotonic_ns();
  for (std::int64_t i = 0; i < rounds; ++i) {
    hand_to(other, token + 1);
    token = co_await me.inbox.get();
    ++me.received;
  }
  r.elapsed_ns = monotonic_ns() - start;
  r.token = token;
  alive.cancel();
}

Task<void> remote_pong(End& me, End& other, std::int64_t rounds) {
  auto alive = coroutines::create_task(keep_loop_alive());
  for (std::int64_t i = 0; i < rounds; ++i) {
    const std::int64_t token = co_await me.inbox.get();
    ++me.received;
    hand_to(other, token + 1);
  }
  alive.cancel();
}

Result split(const Params& p) {
  Pin pin(p.cpu_a);
  End a, b;
  a.loop = &coroutines::EventLoop::current();
  Result r;
  on_two_threads(
      p,
      [&](auto ready) {
        b.loop = &coroutines::EventLoop::current();
        ready();
        coroutines::run(remote_pong(b, a, p.rounds));
        r.cpu_b = current_cpu();
      },
      [&] {
        coroutines::run(remote_ping(a, b, p.rounds, r));
        r.cpu_a = current_cpu();
      });
  r.handoffs = a.received + b.received;
  return r;
}

}  // namespace

Result coroutines(const Params& p) {
  if (p.split) return split(p);
  Pin pin(p.cpu_a);
  Result r;
  coroutines::run(rally(p.rounds, r));
  r.cpu_a = r.cpu_b = current_cpu();
  return r;
}

}  // namespace cmbench::ping_pong
