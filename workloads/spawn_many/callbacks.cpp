// spawn_many, callbacks: what a Twisted user writes. A task is deferLater(reactor, 0, f):
// f runs on the reactor's next turn and its Deferred fires with f's value; gatherResults
// collects the values in call order. A skynet node is a deferLater whose callback makes the
// node's ten children and returns their gatherResults: the chain pauses on that Deferred
// (Twisted's chaining) and the next callback sums the list. No task has a stack: a pending
// task is a timer entry and a Deferred's chain.
#include <chrono>
#include <numeric>

#include "models/callbacks/deferred_list.hpp"
#include "models/callbacks/reactor.hpp"
#include "spec.hpp"

namespace cmbench::spawn_many {
namespace {

using namespace cmbench::callbacks;  // the model's names, as a Twisted module imports them
using cmbench::callbacks::Reactor;   // (Twisted's reactor, not the core's cmbench::Engine)
using std::chrono_literals::operator""s;

Deferred<std::vector<std::int64_t>> flat(Reactor& reactor, std::int64_t n) {
  std::vector<Deferred<std::int64_t>> tasks;
  tasks.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) tasks.push_back(defer_later(reactor, 0s, [i] { return i; }));
  return gather_results(std::move(tasks));
}

Deferred<std::int64_t> skynet(Reactor& reactor, std::int64_t num, int depth) {
  if (depth == 0) return defer_later(reactor, 0s, [num] { return num; });
  return defer_later(reactor, 0s, [] {})
      .add_callback([&reactor, num, depth] {
        std::vector<Deferred<std::int64_t>> children;
        children.reserve(10);
        for (int i = 0; i < 10; ++i) children.push_back(skynet(reactor, num * 10 + i, depth - 1));
        return gather_results(std::move(children));
      })
      .add_callback([](const std::vector<std::int64_t>& values) {
        return std::accumulate(values.begin(), values.end(), std::int64_t{0});
      });
}

}  // namespace

Result callbacks(const Params& p) {
  Result r;
  if (p.shape == Shape::skynet)
    r.sum = react([&p](Reactor& reactor) { return skynet(reactor, 0, p.depth); });
  else
    r.values = react([&p](Reactor& reactor) { return flat(reactor, p.n); });
  return r;
}

}  // namespace cmbench::spawn_many
