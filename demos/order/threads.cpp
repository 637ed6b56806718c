// order, threads: concurrent.futures' way with the standard library. std::async starts each
// task on a thread of its own and hands back a std::future; reading the futures one by one
// gives the results in submission order. To take them as they complete, the tasks put
// their results in a queue (threading's queue.Queue) that main reads. And main is a thread
// like the others: after starting them it goes on with its own work.
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "demo.hpp"
#include "spec.hpp"

namespace cmbench::demos::order {

namespace {

int task(int n, double wait) {
  say("Task {} started", n);
  std::this_thread::sleep_for(units(wait));
  say("Task {} finished", n);
  return n;
}

// queue.Queue for ints: put() from any thread, get() blocks until an item is there.
class ResultQueue {
 public:
  void put(int v) {
    std::lock_guard lock(m_);
    items_.push_back(v);
    ready_.notify_one();
  }
  int get() {
    std::unique_lock lock(m_);
    ready_.wait(lock, [this] { return !items_.empty(); });
    const int v = items_.front();
    items_.pop_front();
    return v;
  }

 private:
  std::mutex m_;
  std::condition_variable ready_;
  std::deque<int> items_;
};

std::vector<std::future<int>> start_three() {
  std::vector<std::future<int>> futures;  // executor.submit(task, n, wait)
  futures.push_back(std::async(std::launch::async, task, 1, 2));
  futures.push_back(std::async(std::launch::async, task, 2, 3));
  futures.push_back(std::async(std::launch::async, task, 3, 1));
  return futures;
}

}  // namespace

void threads() {
  say("-- results in call order");
  auto futures = start_three();
  const int first = futures[0].get(), second = futures[1].get(), third = futures[2].get();
  say("results in call order: {}, {}, {}", first, second, third);

  say("-- results as they complete");
  ResultQueue done;
  std::vector<std::jthread> workers;  // joined when they go
  workers.emplace_back([&] { done.put(task(1, 2)); });
  workers.emplace_back([&] { done.put(task(2, 3)); });
  workers.emplace_back([&] { done.put(task(3, 1)); });
  for (int i = 0; i < 3; ++i) say("got result {}", done.get());
  workers.clear();

  say("-- main keeps working");
  futures = start_three();
  say("main working");
  std::this_thread::sleep_for(units(1.5));  // main's own work; the tasks' threads go on
  say("main done working");
  for (auto& f : futures) f.get();
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::order
