// ping_pong, sequential: the degenerate floor. One loop plays both ends: A's turn, then B's,
// each adding one to the token, with nothing between them but the loop itself. There is no
// hand-off to pay for, so what it measures is the cost of counting: the line every model's
// hand-off is drawn above.
#include "models/core/span.hpp"
#include "spec.hpp"

namespace cmbench::ping_pong {

Result sequential(const Params& p) {
  Pin pin(p.cpu_a);
  Result r;
  // volatile: the compiler would otherwise fold the whole loop into one addition.
  volatile std::int64_t token = 0;
  const std::int64_t start = monotonic_ns();
  for (std::int64_t i = 0; i < p.rounds; ++i) {
    token = token + 1;  // A's turn
    ++r.handoffs;
    token = token + 1;  // B's turn
    ++r.handoffs;
  }
  r.elapsed_ns = monotonic_ns() - start;
  r.token = token;
  r.cpu_a = r.cpu_b = current_cpu();
  return r;
}

}  // namespace cmbench::ping_pong
