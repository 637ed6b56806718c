// ping_pong, futex: the floor of a hand-off between threads. One 32-bit word says whose
// turn it is; the end that hands over stores the other's number and calls FUTEX_WAKE, and
// the end that waits calls FUTEX_WAIT while the word is not its own. Nothing else: no
// mutex, no condition variable, no spinning first. Every hand-off is therefore a wake-up
// by the kernel: a context switch on one CPU (`same`), an interrupt to the other CPU
// (`split`). The threads model's versions are read against this.
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

#include "models/core/span.hpp"
#include "ping_pong/spec.hpp"

namespace cmbench::ping_pong {
namespace {

// Invariant: `turn` names the end that holds the token (0: A, 1: B); only that end
// touches `token`. The release store of `turn` publishes the token to the other end.
struct Word {
  std::atomic<std::uint32_t> turn{0};
  std::int64_t token = 0;

  void pass(std::uint32_t to) {
    turn.store(to, std::memory_order_release);
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&turn), FUTEX_WAKE_PRIVATE, 1, nullptr,
              nullptr, 0);
  }
  void wait_for(std::uint32_t me) {
    for (;;) {
      const std::uint32_t now = turn.load(std::memory_order_acquire);
      if (now == me) return;
      // Sleeps only if the word still says `now`: a pass in between makes it return.
      ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&turn), FUTEX_WAIT_PRIVATE, now,
                nullptr, nullptr, 0);
    }
  }
};

}  // namespace

Result futex(const Params& p) {
  Pin pin(p.cpu_a);
  Word word;
  Result r;
  std::int64_t b_received = 0;
  on_two_threads(
      p,
      [&](auto ready) {
        ready();
        for (std::int64_t i = 0; i < p.rounds; ++i) {
          word.wait_for(1);
          ++b_received;
          ++word.token;
          word.pass(0);
        }
        r.cpu_b = current_cpu();
      },
      [&] {
        const std::int64_t start = monotonic_ns();
        for (std::int64_t i = 0; i < p.rounds; ++i) {
          ++word.token;
          word.pass(1);
          word.wait_for(0);
          ++r.handoffs;
        }
        r.elapsed_ns = monotonic_ns() - start;
        r.cpu_a = current_cpu();
      });
  r.token = word.token;
  r.handoffs += b_received;
  return r;
}

}  // namespace cmbench::ping_pong
