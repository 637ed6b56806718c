// ping_pong, threads: two OS threads and a condition variable, as with threading.Condition.
// The token lives under a mutex with a note of whose turn it is; each end waits on the
// condition until the turn is its own, adds one, hands the turn over and notifies. A
// hand-off is an unlock, a futex wake of the sleeping end and, for the one that goes to
// sleep, a futex wait: two trips into the kernel and a context switch (on one CPU) or an
// interrupt to the other CPU (split). `threads-semaphore` does the same with two
// std::binary_semaphore, one per direction: no mutex, just the futex each acquire sleeps on.
#include <condition_variable>
#include <mutex>
#include <semaphore>

#include "models/core/span.hpp"
#include "spec.hpp"

namespace cmbench::ping_pong {
namespace {

// The shared state of the condition-variable version. Invariant: `turn` names the end that
// holds the token; only that end touches it, the other waits on `changed`.
struct Table {
  std::mutex mutex;
  std::condition_variable changed;
  std::int64_t token = 0;
  std::int64_t handoffs = 0;
  int turn = 0;  // 0: A, 1: B

  // The end holding the token adds one and gives it to the other end.
  void pass(int to) {
    {
      std::lock_guard lock(mutex);
      ++token;
      turn = to;
    }
    changed.notify_one();
  }
  // Sleeps until the token comes to `me`.
  void receive(int me) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return turn == me; });
    ++handoffs;
  }
};

}  // namespace

Result threads(const Params& p) {
  Pin pin(p.cpu_a);
  Table table;
  Result r;
  on_two_threads(
      p,
      [&](auto ready) {
        ready();
        for (std::int64_t i = 0; i < p.rounds; ++i) {
          table.receive(1);
          table.pass(0);
        }
        r.cpu_b = current_cpu();
      },
      [&] {
        const std::int64_t start = monotonic_ns();
        for (std::int64_t i = 0; i < p.rounds; ++i) {
          table.pass(1);
          table.receive(0);
        }
        r.elapsed_ns = monotonic_ns() - start;
        r.cpu_a = current_cpu();
      });
  r.token = table.token;
  r.handoffs = table.handoffs;
  return r;
}

Result threads_semaphore(const Params& p) {
  Pin pin(p.cpu_a);
  std::binary_semaphore to_b(0), to_a(0);
  std::int64_t token = 0;  // passed with the semaphores: each release publishes it
  std::int64_t b_received = 0, a_received = 0;
  Result r;
  on_two_threads(
      p,
      [&](auto ready) {
        ready();
        for (std::int64_t i = 0; i < p.rounds; ++i) {
          to_b.acquire();
          ++b_received;
          ++token;
          to_a.release();
        }
        r.cpu_b = current_cpu();
      },
      [&] {
        const std::int64_t start = monotonic_ns();
        for (std::int64_t i = 0; i < p.rounds; ++i) {
          ++token;
          to_b.release();
          to_a.acquire();
          ++a_received;
        }
        r.elapsed_ns = monotonic_ns() - start;
        r.cpu_a = current_cpu();
      });
  r.token = token;
  r.handoffs = a_received + b_received;
  return r;
}

}  // namespace cmbench::ping_pong
