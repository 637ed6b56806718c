// spawn_many's TBB floor: the same task_group as the threads model's TBB row, used as TBB's
// own documentation advises for a recursive task tree. A node queues nine children and runs
// the tenth itself on the calling thread (run_and_wait), so one task in ten never touches a
// queue; the children's results live in an array on the node's stack. Skynet only: flat
// tasks on TBB have no leaner form than the threads row's (a task_group and one run per
// index), so that row is its own floor.
#include <tbb/task_group.h>

#include <array>

#include "../spec.hpp"

namespace cmbench::spawn_many {
namespace {

std::int64_t skynet(std::int64_t num, int depth) {
  if (depth == 0) return num;
  std::array<std::int64_t, 10> results;
  tbb::task_group children;
  for (int i = 0; i < 9; ++i)
    children.run([&results, i, num, depth] { results[i] = skynet(num * 10 + i, depth - 1); });
  children.run_and_wait([&results, num, depth] { results[9] = skynet(num * 10 + 9, depth - 1); });
  std::int64_t sum = 0;
  for (auto v : results) sum += v;
  return sum;
}

}  // namespace

Result tbb_floor(const Params& p) {
  Result r;
  r.sum = skynet(0, p.depth);
  return r;
}

}  // namespace cmbench::spawn_many
