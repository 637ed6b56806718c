// ping_pong, fibers: two greenlets and two gevent Queues, one each way. Each end get()s from
// its own queue as if it blocked, adds one and put()s the token in the other's; the put
// makes the waiting greenlet ready, and the hub switches to it when the putter blocks in
// its own get(). A hand-off is a trip through the hub's ready queue and a stack switch: the
// cost the raw Boost.Context switch (the fcontext floor) has only the second of.
// Split, gevent's way across threads: each end is a greenlet on its own hub, on its own
// pinned thread, and hands the token over with the other hub's run_callback_threadsafe
// (a put_nowait run there), which queues it under a mutex and wakes that hub.
#include "models/fibers/fibers.hpp"
#include "models/core/span.hpp"
#include "spec.hpp"

namespace cmbench::ping_pong {
namespace {

using fibers::Queue;

Result rally(std::int64_t rounds) {
  Result r;
  Queue<std::int64_t> there(1), back(1);
  auto pong = fibers::spawn([&] {
    for (std::int64_t i = 0; i < rounds; ++i) {
      const std::int64_t token = there.get();
      ++r.handoffs;
      back.put(token + 1);
    }
  });
  std::int64_t token = 0;
  const std::int64_t start = monotonic_ns();
  for (std::int64_t i = 0; i < rounds; ++i) {
    there.put(token + 1);
    token = back.get();
    ++r.handoffs;
  }
  r.elapsed_ns = monotonic_ns() - start;
  r.token = token;
  pong.join();
  return r;
}

// One end on its own hub. `inbox` is used on this end's hub: the other end puts into it
// through run_callback_threadsafe.
struct End {
  fibers::Hub* hub = nullptr;
  Queue<std::int64_t> inbox;
  std::int64_t received = 0;
};

void hand_to(End& to, std::int64_t token) {
  to.hub->run_callback_threadsafe([&to, token] { to.inbox.put_nowait(token); });
}

Result split(const Params& p) {
  Pin pin(p.cpu_a);
  End a, b;
  Result r;
  on_two_threads(
      p,
      [&](auto ready) {
        fibers::run([&] {
          b.hub = fibers::Hub::current();
          ready();
          for (std::int64_t i = 0; i < p.rounds; ++i) {
            const std::int64_t token = b.inbox.get();
            ++b.received;
            hand_to(a, token + 1);
          }
        });
        r.cpu_b = current_cpu();
      },
      [&] {
        fibers::run([&] {
          a.hub = fibers::Hub::current();
          std::int64_t token = 0;
          const std::int64_t start = monotonic_ns();
          for (std::int64_t i = 0; i < p.rounds; ++i) {
            hand_to(b, token + 1);
            token = a.inbox.get();
            ++a.received;
          }
          r.elapsed_ns = monotonic_ns() - start;
          r.token = token;
        });
        r.cpu_a = current_cpu();
      });
  r.handoffs = a.received + b.received;
  return r;
}

}  // namespace

Result fibers(const Params& p) {
  if (p.split) return split(p);
  Pin pin(p.cpu_a);
  Result r = fibers::run([&p] { return rally(p.rounds); });
  r.cpu_a = r.cpu_b = current_cpu();
  return r;
}

}  // namespace cmbench::ping_pong
