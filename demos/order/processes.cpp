// order, processes: multiprocessing.Process per task. join() in call order gives the
// results in call order. To take them as they complete, the children put their results in
// one pipe (multiprocessing.Queue is a pipe underneath) and the parent reads it. And the
// parent is a process like its children: after starting them it goes on with its own work.
#include <thread>
#include <vector>

#include "demo.hpp"
#include "models/processes/process.hpp"
#include "spec.hpp"

namespace mp = cmbench::processes;  // import multiprocessing as mp

namespace cmbench::demos::order {

namespace {

int task(int n, double wait) {
  say("Task {} started", n);
  std::this_thread::sleep_for(units(wait));
  say("Task {} finished", n);
  return n;
}

// Each child runs task(n, wait); with a queue, it also puts its result there when done.
std::vector<mp::Process<int>> start_three(int queue = -1) {
  std::vector<mp::Process<int>> children;
  auto start = [&](int n, double wait) {
    children.emplace_back([=] {
      const int result = task(n, wait);
      if (queue >= 0) mp::write_all(queue, &result, sizeof result);  // queue.put(result)
      return result;
    });
  };
  start(1, 2);
  start(2, 3);
  start(3, 1);
  return children;
}

}  // namespace

void processes() {
  say("-- results in call order");
  auto children = start_three();
  std::vector<int> results;
  for (auto& child : children) results.push_back(child.join());
  say("results in call order: {}, {}, {}", results[0], results[1], results[2]);

  say("-- results as they complete");
  mp::Pipe queue = mp::make_pipe();
  children = start_three(queue.write.get());
  for (int i = 0; i < 3; ++i) {
    int result = 0;
    mp::read_full(queue.read.get(), &result, sizeof result);  // queue.get()
    say("got result {}", result);
  }
  for (auto& child : children) child.join();

  say("-- main keeps working");
  children = start_three();
  say("main working");
  std::this_thread::sleep_for(units(1.5));  // the parent's own work; the children go on
  say("main done working");
  for (auto& child : children) child.join();
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::order
