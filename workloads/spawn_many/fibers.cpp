// spawn_many, fibers: what a gevent user writes. Each task is a greenlet spawned with its
// function; joinall waits for them and get() reads each value. A skynet node is a greenlet
// that spawns its ten children, joinall()s them and sums their values. In gevent's order a
// spawned greenlet starts at the hub's next turn, so every greenlet of a run is spawned,
// with its stack, before the first one runs: skynet holds the whole tree at once. `eager`
// is the same program with RunOptions::eager_spawn: a child runs as soon as it is spawned
// and, never blocking, ends before spawn returns, so the tree is walked depth first and
// only one stack per level is in use at a time.
#include "models/fibers/fibers.hpp"
#include "spec.hpp"

namespace cmbench::spawn_many {
namespace {

std::vector<std::int64_t> flat(std::int64_t n) {
  std::vector<fibers::Greenlet<std::int64_t>> tasks;
  tasks.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) tasks.push_back(fibers::spawn([i] { return i; }));
  fibers::joinall(tasks);
  std::vector<std::int64_t> values;
  values.reserve(tasks.size());
  for (auto& t : tasks) values.push_back(t.get());
  return values;
}

std::int64_t skynet(std::int64_t num, int depth) {
  if (depth == 0) return num;
  std::vector<fibers::Greenlet<std::int64_t>> children;
  children.reserve(10);
  for (int i = 0; i < 10; ++i)
    children.push_back(fibers::spawn([num, i, depth] { return skynet(num * 10 + i, depth - 1); }));
  fibers::joinall(children);
  std::int64_t sum = 0;
  for (auto& child : children) sum += child.get();
  return sum;
}

Result run(const Params& p, const fibers::RunOptions& options) {
  Result r;
  if (p.shape == Shape::skynet)
    r.sum = fibers::run([&p] { return skynet(0, p.depth); }, options);
  else
    r.values = fibers::run([&p] { return flat(p.n); }, options);
  return r;
}

}  // namespace

Result fibers(const Params& p) {
  return run(p, {});
}

Result fibers_eager(const Params& p) {
  return run(p, {.eager_spawn = true});
}

}  // namespace cmbench::spawn_many
