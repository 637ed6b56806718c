// spawn_many, processes: a forked Process per task, as multiprocessing.Process is used:
// start it, join() it for the value it sends back through its pipe. A skynet node is a
// process that forks a process per child and sums what they send back. Each task is a fork
// (≈ 0.3 ms here, its page tables copied), an exit and a reap, and a run's processes may be
// alive at once: the model's limit.
#include "models/processes/process.hpp"
#include "spec.hpp"

namespace mp = cmbench::processes;  // as in `import multiprocessing as mp`

namespace cmbench::spawn_many {
namespace {

std::int64_t skynet(std::int64_t num, int depth) {
  if (depth == 0) return num;
  std::vector<mp::Process<std::int64_t>> children;
  children.reserve(10);
  for (int i = 0; i < 10; ++i)
    children.emplace_back([num, i, depth] { return skynet(num * 10 + i, depth - 1); });
  std::int64_t sum = 0;
  for (auto& child : children) sum += child.join();
  return sum;
}

}  // namespace

Result processes(const Params& p) {
  Result r;
  if (p.shape == Shape::skynet) {
    r.sum = skynet(0, p.depth);
    return r;
  }
  std::vector<mp::Process<std::int64_t>> children;
  children.reserve(static_cast<std::size_t>(p.n));
  for (std::int64_t i = 0; i < p.n; ++i) children.emplace_back([i] { return i; });
  r.values.reserve(children.size());
  for (auto& child : children) r.values.push_back(child.join());
  return r;
}

}  // namespace cmbench::spawn_many
