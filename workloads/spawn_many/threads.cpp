// spawn_many, threads: a std::jthread per task, as threading.Thread is used: start it, join
// it, read what it left in its slot. A skynet node is a thread that starts a thread per
// child and joins them. Every task is a clone, a stack mapping and a scheduler wake-up
// (≈ 30 µs here), and all of a run's threads may be alive at once: the model's limit.
#include <array>
#include <thread>

#include "spec.hpp"

namespace cmbench::spawn_many {
namespace {

std::int64_t skynet(std::int64_t num, int depth) {
  if (depth == 0) return num;
  std::array<std::int64_t, 10> results{};
  {
    std::array<std::jthread, 10> children;
    for (int i = 0; i < 10; ++i)
      children[i] = std::jthread([&results, i, num, depth] {
        results[i] = skynet(num * 10 + i, depth - 1);  // its own slot; join publishes it
      });
  }  // the jthreads join here
  std::int64_t sum = 0;
  for (auto v : results) sum += v;
  return sum;
}

}  // namespace

Result threads(const Params& p) {
  Result r;
  if (p.shape == Shape::skynet) {
    r.sum = skynet(0, p.depth);
    return r;
  }
  r.values.resize(static_cast<std::size_t>(p.n));
  {
    std::vector<std::jthread> workers;
    workers.reserve(r.values.size());
    for (std::int64_t i = 0; i < p.n; ++i)
      workers.emplace_back([&values = r.values, i] { values[i] = i; });
  }  // the jthreads join here
  return r;
}

}  // namespace cmbench::spawn_many
