// spawn_many, futures: Tornado without coroutines. A task is a callback queued on the loop
// (IOLoop.add_callback) and the Future it resolves; multi() folds the futures into one that
// resolves with their results in call order. A skynet node is such a task whose body makes
// the node's ten children and returns multi() of them, so `then` resolves the node as that
// future does, and the next `then` sums the list. run_sync runs the loop until the root's
// future resolves. A pending task is a loop callback and a future's state (80 bytes, from a
// free list), no stack.
#include <numeric>

#include "models/futures/io_loop.hpp"
#include "models/futures/multi.hpp"
#include "spec.hpp"

namespace cmbench::spawn_many {
namespace {

using futures::Future;
using futures::IOLoop;

// fn() run on the loop's next turn, as a Future of its result.
template <class F>
auto on_next_turn(F fn) {
  Future<void> turn;
  IOLoop::current().add_callback([turn]() mutable { turn.set_result(); });
  return turn.then(std::move(fn));
}

Future<std::vector<std::int64_t>> flat(std::int64_t n) {
  std::vector<Future<std::int64_t>> tasks;
  tasks.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) tasks.push_back(on_next_turn([i] { return i; }));
  return futures::multi(std::move(tasks));
}

Future<std::int64_t> skynet(std::int64_t num, int depth) {
  if (depth == 0) return on_next_turn([num] { return num; });
  return on_next_turn([num, depth] {
           std::vector<Future<std::int64_t>> children;
           children.reserve(10);
           for (int i = 0; i < 10; ++i) children.push_back(skynet(num * 10 + i, depth - 1));
           return futures::multi(std::move(children));
         })
      .then([](const std::vector<std::int64_t>& values) {
        return std::accumulate(values.begin(), values.end(), std::int64_t{0});
      });
}

}  // namespace

Result futures(const Params& p) {
  Result r;
  if (p.shape == Shape::skynet)
    r.sum = IOLoop::current().run_sync([&p] { return skynet(0, p.depth); });
  else
    r.values = IOLoop::current().run_sync([&p] { return flat(p.n); });
  return r;
}

}  // namespace cmbench::spawn_many
