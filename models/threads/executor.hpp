// concurrent.futures.ThreadPoolExecutor: calls queued to at most max_workers OS threads,
// each call's outcome a Future.
//
//   ThreadPoolExecutor pool(8);                 // with ThreadPoolExecutor(max_workers=8) as pool:
//   auto future = pool.submit(fetch, url);      //     future = pool.submit(fetch, url)
//   auto pages = pool.map(fetch, urls);         //     pages = list(pool.map(fetch, urls))
//                                               // (leaving the block: pool.shutdown(wait=True))
//
// Guarantees: calls start in the order they were queued; never more than max_workers threads;
// a worker is started only when a call is queued and no worker is idle, so a pool that is
// never used costs nothing. shutdown(wait=true), and the destructor, return once every worker
// has been joined: queued calls still run unless cancel_futures. Not guaranteed: which worker
// runs which call. Cost: a thread start (≈ 30 µs) per worker, then a mutex and a condition
// variable per call. Thread-safe: submit, map and shutdown may be called from any thread,
// shutdown(wait=false) from a call the pool runs.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <ranges>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "models/threads/future.hpp"

namespace cmbench::threads {

class ThreadPoolExecutor {
 public:
  explicit ThreadPoolExecutor(std::size_t max_workers) : max_workers_(max_workers) {
    if (max_workers == 0) throw std::invalid_argument("max_workers must be greater than 0");
  }
  ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
  ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;
  ~ThreadPoolExecutor() { shutdown(); }

  // Queues fn(args...) and returns its Future. Throws std::runtime_error after shutdown, and
  // std::system_error if no worker could be started (the call stays queued for the workers
  // there are; shutdown cancels it if there are none).
  template <class F, class... Args>
  auto submit(F fn, Args... args) {
    using R = std::invoke_result_t<F&, Args&...>;
    auto [future, item] = package<R>([fn = std::move(fn), ... args = std::move(args)]() mutable {
      return std::invoke(fn, args...);
    });
    std::vector<WorkItem> items;
    items.push_back(std::move(item));
    queue(std::move(items));
    return future;
  }

  // fn applied to every element of `inputs`, on the workers; the results in the order of the
  // inputs, as list(pool.map(fn, inputs)). Every call is queued at once, before any starts.
  // A call's exception is rethrown when its turn comes, after every earlier result; the calls
  // not yet started are then cancelled, as Python's map cancels them when its iterator stops.
  template <class F, class Inputs>
  auto map(F fn, const Inputs& inputs) {
    using Input = std::ranges::range_value_t<Inputs>;
    using R = std::decay_t<std::invoke_result_t<F&, const Input&>>;
    // The calls share one copy of fn, which stays alive while any of them may run.
    auto shared_fn = std::make_shared<F>(std::move(fn));
    std::vector<Future<R>> futures;
    std::vector<WorkItem> items;
    for (const auto& input : inputs) {
      auto [future, item] = package<R>([shared_fn, input] { return (*shared_fn)(input); });
      futures.push_back(std::move(future));
      items.push_back(std::move(item));
    }
    queue(std::move(items));
    std::vector<R> results;
    results.reserve(futures.size());
    try {
      for (const auto& future : futures) results.push_back(future.result());
    } catch (...) {
      for (auto& future : futures) future.cancel();
      throw;
    }
    return results;
  }

  // Python's shutdown(wait, cancel_futures): no call may be queued afterwards; with
  // cancel_futures the calls not yet started are cancelled; with wait, returns once every
  // worker has finished and been joined. Calling it again is harmless.
  void shutdown(bool wait = true, bool cancel_futures = false) {
    std::deque<WorkItem> cancelled;
    {
      std::lock_guard lock(mutex_);
      shutdown_ = true;
      if (cancel_futures) cancelled.swap(queue_);
    }
    work_ready_.notify_all();
    for (auto& item : cancelled) item.state->cancel();
    if (!wait) return;
    {
      std::lock_guard threads(threads_mutex_);
      for (auto& worker : workers_)
        if (worker.joinable()) worker.join();
    }
    // Anything still queued had no worker to run it (none could be started).
    {
      std::lock_guard lock(mutex_);
      cancelled.swap(queue_);
    }
    for (auto& item : cancelled) item.state->cancel();
  }

 private:
  // One queued call: its future's state, to start or cancel it, and the call itself.
  struct WorkItem {
    std::shared_ptr<detail::FutureState> state;
    std::function<void()> run;
  };

  // The call wrapped so that its value or exception lands in a new future's state.
  template <class R, class Call>
  static std::pair<Future<R>, WorkItem> package(Call call) {
    auto state = std::make_shared<detail::ValueState<R>>();
    WorkItem item{state, [state, call = std::move(call)]() mutable {
                    try {
                      if constexpr (std::is_void_v<R>) {
                        call();
                        state->set_result();
                      } else {
                        state->set_result(call());
                      }
                    } catch (...) {
                      state->set_exception(std::current_exception());
                    }
                  }};
    return {Future<R>(std::move(state)), std::move(item)};
  }

  void queue(std::vector<WorkItem> items) {
    {
      std::lock_guard lock(mutex_);
      if (shutdown_) throw std::runtime_error("cannot schedule new futures after shutdown");
      for (auto& item : items) queue_.push_back(std::move(item));
    }
    // One waiting worker per call: waking them all for each call made thousands of idle
    // workers contend for the lock on every submit (quadratic in the pool's size).
    for (std::size_t i = 0; i < items.size(); ++i) work_ready_.notify_one();
    adjust_thread_count();
  }

  // Starts a worker for each queued call that no idle worker, and no worker still starting,
  // will take, up to max_workers. The threads start outside mutex_, so that the first
  // workers already run calls while the later ones are being started.
  void adjust_thread_count() {
    std::lock_guard threads(threads_mutex_);
    std::size_t wanted;
    {
      std::lock_guard lock(mutex_);
      std::size_t coming = idle_ + starting_;
      wanted = queue_.size() > coming ? queue_.size() - coming : 0;
      wanted = std::min(wanted, max_workers_ - workers_.size());
      starting_ += wanted;
    }
    try {
      // Room first: a thread started and then not stored would end the program when destroyed.
      workers_.reserve(workers_.size() + wanted);
      for (; wanted > 0; --wanted) workers_.emplace_back([this] { work(); });
    } catch (...) {
      std::lock_guard lock(mutex_);
      starting_ -= wanted;  // those never started: a later call may try again
      throw;
    }
  }

  // A worker: takes the oldest queued call until the pool is shut down and the queue empty.
  void work() {
    std::unique_lock lock(mutex_);
    --starting_;
    for (;;) {
      ++idle_;
      work_ready_.wait(lock, [&] { return shutdown_ || !queue_.empty(); });
      --idle_;
      if (queue_.empty()) return;
      {
        WorkItem item = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        if (item.state->set_running_or_notify_cancel()) item.run();
      }  // the call and its captures are gone before the lock is taken again
      lock.lock();
    }
  }

  const std::size_t max_workers_;
  // Guards the queue, the idle count and the shutdown flag. Invariant: once shutdown_ is set
  // nothing more is queued, and a worker that finds the queue empty returns.
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::deque<WorkItem> queue_;
  std::size_t idle_ = 0;      // workers waiting in work() for a call
  std::size_t starting_ = 0;  // workers started that have not yet reached work()
  bool shutdown_ = false;
  // Guards workers_: held while workers are started or joined, never by a worker.
  std::mutex threads_mutex_;
  std::vector<std::thread> workers_;
};

}  // namespace cmbench::threads
