// spawn_many, threads on TBB: the threads model's way to run many small tasks is a
// tbb::task_group, not a thread each. A task is a lambda queued on the group and run by one
// of TBB's workers (one per core) or by the thread waiting in wait(), which runs tasks too.
// Written as a threads user writes it: every child goes through the group, each result
// into its own slot of a vector, the parent sums them after wait(). The tbb reference row
// is the same library at its leanest.
#include <tbb/task_group.h>

#include <numeric>

#include "spec.hpp"

namespace cmbench::spawn_many {
namespace {

std::int64_t skynet(std::int64_t num, int depth) {
  if (depth == 0) return num;
  std::vector<std::int64_t> results(10);
  tbb::task_group children;
  for (int i = 0; i < 10; ++i)
    children.run([&results, i, num, depth] { results[i] = skynet(num * 10 + i, depth - 1); });
  children.wait();
  return std::accumulate(results.begin(), results.end(), std::int64_t{0});
}

}  // namespace

Result threads_tbb(const Params& p) {
  Result r;
  if (p.shape == Shape::skynet) {
    r.sum = skynet(0, p.depth);
    return r;
  }
  r.values.resize(static_cast<std::size_t>(p.n));
  tbb::task_group tasks;
  for (std::int64_t i = 0; i < p.n; ++i) tasks.run([&values = r.values, i] { values[i] = i; });
  tasks.wait();
  return r;
}

}  // namespace cmbench::spawn_many
