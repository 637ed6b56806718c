// ping_pong, futures: Tornado without coroutines, a Future per hand-off. Each end waits for
// the token in a Future of its own, its turn attached with add_done_callback; the other end
// resolves it on the loop's next turn, IOLoop.add_callback(future.set_result, token). So a
// hand-off is a callback through the IOLoop's ready queue and a Future resolved.
// Split: each end has its own IOLoop, on its own pinned thread; add_callback is the one call
// Tornado allows from another thread, so the code is the same, and each hand-off now takes
// the loop's thread-safe queue (a mutex) and wakes the other loop.
#include "models/core/span.hpp"
#include "models/futures/io_loop.hpp"
#include "spec.hpp"

namespace cmbench::ping_pong {
namespace {

using futures::Future;
using futures::IOLoop;

// One end. Invariant: `inbox` is the Future waiting for the next token, made and resolved
// on this end's loop only.
struct End {
  IOLoop* loop = nullptr;
  Future<std::int64_t> inbox;
  Future<void> done;  // resolved after this end's last hand-off
  std::int64_t received = 0;
};

// The two ends, each made on the thread that runs it: a Deferred or Future belongs to its
// loop's thread, from its making to its end.
struct Rally {
  End* a = nullptr;
  End* b = nullptr;
  std::int64_t rounds = 0;
  std::int64_t start_ns = 0;
  Result result;
};

// Resolves `to`'s Future with the token on `to`'s loop, at its next turn (from any thread).
void hand_to(End& to, std::int64_t token) {
  to.loop->add_callback([&to, token] {
    Future<std::int64_t> f = to.inbox;  // a handle of our own: the callback replaces inbox
    f.set_result(token);
  });
}

// A's turn: hand the token on, unless the rounds are over.
void a_turn(Rally& g, std::int64_t token) {
  if (g.a->received == g.rounds) {
    g.result.elapsed_ns = monotonic_ns() - g.start_ns;
    g.result.token = token;
    g.a->done.set_result();
    return;
  }
  g.a->inbox = Future<std::int64_t>();
  g.a->inbox.add_done_callback([&g](Future<std::int64_t>& f) {
    ++g.a->received;
    a_turn(g, f.result());
  });
  hand_to(*g.b, token + 1);
}

// B waits for the token, adds one and hands it back, R times.
void b_waits(Rally& g) {
  g.b->inbox = Future<std::int64_t>();
  g.b->inbox.add_done_callback([&g](Future<std::int64_t>& f) {
    const std::int64_t token = f.result();
    ++g.b->received;
    if (g.b->received < g.rounds) b_waits(g);
    hand_to(*g.a, token + 1);
    if (g.b->received == g.rounds) g.b->done.set_result();
  });
}

// Tornado's IOLoop runs until stopped; this model's run_sync gives up as soon as nothing in
// the loop could resolve its future, and a call from another thread is not such a thing. A
// long timer, removed at the end, keeps the loop waiting for the other thread.
template <class Body>
void run_waiting_for_the_other_thread(Body body) {
  IOLoop& loop = IOLoop::current();
  auto alive = loop.call_later(std::chrono::hours(24), [] {});
  loop.run_sync([&] { return body(loop); });
  loop.remove_timeout(alive);
}

}  // namespace

Result futures(const Params& p) {
  Pin pin(p.cpu_a);
  Rally g;
  g.rounds = p.rounds;
  End a;
  g.a = &a;
  if (!p.split) {
    End b;
    g.b = &b;
    IOLoop::current().run_sync([&] {
      a.loop = b.loop = &IOLoop::current();
      b_waits(g);
      g.start_ns = monotonic_ns();
      a_turn(g, 0);
      return a.done;
    });
    g.result.handoffs = b.received;
    g.result.cpu_a = g.result.cpu_b = current_cpu();
  } else {
    on_two_threads(
        p,
        [&](auto ready) {
          End b;
          run_waiting_for_the_other_thread([&](IOLoop& loop) {
            b.loop = &loop;
            g.b = &b;
            b_waits(g);
            ready();
            return b.done;
          });
          g.result.handoffs = b.received;  // read by A after the join
          g.result.cpu_b = current_cpu();
        },
        [&] {
          run_waiting_for_the_other_thread([&](IOLoop& loop) {
            a.loop = &loop;
            g.start_ns = monotonic_ns();
            a_turn(g, 0);
            return a.done;
          });
          g.result.cpu_a = current_cpu();
        });
  }
  g.result.handoffs += a.received;
  return g.result;
}

}  // namespace cmbench::ping_pong
