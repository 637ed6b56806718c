// spawn_many, sequential: a task is a function call. flat is a loop over N calls, skynet a
// recursive call per node; nothing is created and nothing joined, so this row is the cost
// of the work itself, the line every other model's row stands on.
#include "spec.hpp"

namespace cmbench::spawn_many {
namespace {

// Out of line, so that the compiler cannot fold the N calls into one formula.
[[gnu::noinline]] std::int64_t task(std::int64_t i) {
  return i;
}

std::int64_t skynet(std::int64_t num, int depth) {
  if (depth == 0) return num;
  std::int64_t sum = 0;
  for (int i = 0; i < 10; ++i) sum += skynet(num * 10 + i, depth - 1);
  return sum;
}

}  // namespace

Result sequential(const Params& p) {
  Result r;
  if (p.shape == Shape::skynet) {
    r.sum = skynet(0, p.depth);
    return r;
  }
  r.values.reserve(static_cast<std::size_t>(p.n));
  for (std::int64_t i = 0; i < p.n; ++i) r.values.push_back(task(i));
  return r;
}

}  // namespace cmbench::spawn_many
