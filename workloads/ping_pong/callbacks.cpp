// ping_pong, callbacks: Twisted style, a Deferred per round. On one reactor (`same`) A
// makes the round's Deferred with B's turn as its first callback and its own receipt as the
// second, and fires it: a Deferred runs its callbacks inside callback(), so the token goes
// to B and back to A with no trip through the reactor at all, which is how Twisted code
// passes a value along when nothing has to wait. (reactor.callLater(0, d.callback, token),
// the Twisted way to go through the reactor, rounds its zero delay up to the timer wheel's
// 16 µs tick here and measured 37 µs a hand-off: the timer, not the hand-off.)
// Split: each end has its own reactor, on its own pinned thread; each waits for the token
// in a Deferred of its own, which the other end fires with this reactor's callFromThread:
// queued under a mutex, and the reactor woken.
#include "models/callbacks/reactor.hpp"
#include "models/core/span.hpp"
#include "spec.hpp"

namespace cmbench::ping_pong {
namespace {

using namespace cmbench::callbacks;  // the model's names, as a Twisted module imports them
using cmbench::callbacks::Reactor;

// One end. Invariant: `inbox` is the Deferred waiting for the next token, made and fired on
// this end's reactor only.
struct End {
  Reactor* reactor = nullptr;
  Deferred<std::int64_t> inbox;
  Deferred<void> done;  // fires after this end's last hand-off
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

// Fires `to`'s Deferred with the token on `to`'s reactor (from the other end's thread).
void hand_to(End& to, std::int64_t token) {
  auto fire = [&to, token] {
    Deferred<std::int64_t> d = to.inbox;  // a handle of our own: the callback replaces inbox
    d.callback(token);
  };
  to.reactor->call_from_thread(fire);
}

// A's turn: hand the token on, unless the rounds are over.
void a_turn(Rally& g, std::int64_t token) {
  if (g.a->received == g.rounds) {
    g.result.elapsed_ns = monotonic_ns() - g.start_ns;
    g.result.token = token;
    g.a->done.callback();
    return;
  }
  g.a->inbox = Deferred<std::int64_t>();
  g.a->inbox.add_callback([&g](std::int64_t t) {
    ++g.a->received;
    a_turn(g, t);
  });
  hand_to(*g.b, token + 1);
}

// B waits for the token, adds one and hands it back, R times.
void b_waits(Rally& g) {
  g.b->inbox = Deferred<std::int64_t>();
  g.b->inbox.add_callback([&g](std::int64_t t) {
    ++g.b->received;
    if (g.b->received < g.rounds) b_waits(g);
    hand_to(*g.a, t + 1);
    if (g.b->received == g.rounds) g.b->done.callback();
  });
}

void start(Rally& g) {
  g.start_ns = monotonic_ns();
  a_turn(g, 0);
}

}  // namespace

Result callbacks(const Params& p) {
  Pin pin(p.cpu_a);
  Rally g;
  g.rounds = p.rounds;
  End a;
  g.a = &a;
  if (!p.split) {
    react([&](Reactor&) {
      std::int64_t token = 0, b_received = 0;
      const std::int64_t start = monotonic_ns();
      for (std::int64_t i = 0; i < p.rounds; ++i) {
        Deferred<std::int64_t> round;
        round
            .add_callback([&b_received](std::int64_t t) {  // B's turn
              ++b_received;
              return t + 1;
            })
            .add_callback([&a, &token](std::int64_t t) {  // back to A
              ++a.received;
              token = t;
            });
        round.callback(token + 1);
      }
      g.result.elapsed_ns = monotonic_ns() - start;
      g.result.token = token;
      g.result.handoffs = b_received;
      return succeed();
    });
    g.result.cpu_a = g.result.cpu_b = current_cpu();
  } else {
    on_two_threads(
        p,
        [&](auto ready) {
          End b;
          react([&](Reactor& reactor) {
            b.reactor = &reactor;
            g.b = &b;
            b_waits(g);
            ready();
            return b.done;
          });
          g.result.handoffs = b.received;  // read by A after the join
          g.result.cpu_b = current_cpu();
        },
        [&] {
          react([&](Reactor& reactor) {
            a.reactor = &reactor;
            start(g);
            return a.done;
          });
          g.result.cpu_a = current_cpu();
        });
  }
  g.result.handoffs += a.received;
  return g.result;
}

}  // namespace cmbench::ping_pong
