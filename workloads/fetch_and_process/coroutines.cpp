// fetch_and_process, coroutines: the asyncio.Queue tutorial. P producer tasks fetch with
// the streams API, each fetch inside asyncio.wait_for(…, timeout), and `await q.put(page)`
// into a Queue(maxsize=Q), which suspends them while the queue is full; C worker tasks
// `await q.get()` and hand the CPU work to `asyncio.to_thread`, so that the loop goes on
// serving every other fetch while a page is processed. Once gather has every producer,
// main puts one None per worker, and the workers end.
//
// The naive variant (coroutines-naive) is the same program with the work called on the
// loop: while a page is processed the loop runs nothing else, and every fetch whose
// answer arrives meanwhile waits, which its latency shows.
//
// A failed or late fetch ends its producer with a FetchError naming the URL; the run
// raises the first one (in producer order) once the workers have drained the queue.
#include <algorithm>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "models/coroutines/errors.hpp"
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/gather.hpp"
#include "models/coroutines/open_connection.hpp"
#include "models/coroutines/queue.hpp"
#include "models/coroutines/to_thread.hpp"
#include "models/coroutines/wait.hpp"
#include "spec.hpp"

namespace cmbench::fetch_and_process {
namespace {

using coroutines::Task;
using Pages = coroutines::Queue<std::optional<Item>>;

Task<Item> fetch(std::uint16_t port, std::size_t i) {
  Page page(i);
  const std::int64_t start = monotonic_ns();
  std::int64_t end = 0;
  try {
    auto [reader, writer] = co_await coroutines::open_connection(port);
    writer.write(request(i));
    co_await writer.drain();
    while (!page.done()) {
      std::string data = co_await reader.read(64 * 1024);
      if (data.empty()) page.end_of_stream();  // closed before the whole response
      page.feed(data);
    }
    end = monotonic_ns();
    writer.close();
    co_await writer.wait_closed();
  } catch (const std::system_error& e) {  // refused, reset...
    page.fail(e.what());
  }
  co_return Item{i, page.digest(), Span{start, end}};
}

// `page = await asyncio.wait_for(fetch(url), timeout)`
Task<Item> fetch_within(const Params& p, std::size_t i) {
  try {
    co_return co_await coroutines::wait_for(fetch(p.port, i), p.timeout);
  } catch (const coroutines::TimeoutError&) {
    Page(i).fail(no_answer(p.timeout));
  }
}

Task<std::size_t> producer(const Params& p, Pages& q, std::size_t k) {
  std::size_t deepest = 0;
  for (std::size_t i = k; i < p.n; i += p.producers) {
    Item page = co_await fetch_within(p, i);
    co_await q.put(page);
    deepest = std::max(deepest, q.qsize());
  }
  co_return deepest;
}

Task<std::vector<Processed>> worker(const Params& p, Pages& q, bool on_loop) {
  std::vector<Processed> done;
  for (;;) {
    std::optional<Item> page = co_await q.get();
    if (!page) break;
    if (on_loop) {
      done.push_back(process(*page, p.rounds));  // the loop stops here for c
    } else {
      auto job = [page = *page, rounds = p.rounds] { return process(page, rounds); };
      done.push_back(co_await coroutines::to_thread(job));
    }
  }
  co_return done;
}

Task<Result> pipeline(const Params& p, bool on_loop) {
  Pages q(p.capacity);
  std::vector<Task<std::vector<Processed>>> workers;
  for (std::size_t k = 0; k < p.consumers; ++k)
    workers.push_back(
        coroutines::create_task(worker(p, q, on_loop), "worker " + std::to_string(k)));
  std::vector<Task<std::size_t>> producers;
  for (std::size_t k = 0; k < p.producers; ++k)
    producers.push_back(
        coroutines::create_task(producer(p, q, k), "producer " + std::to_string(k)));

  auto depths = co_await coroutines::gather(coroutines::return_exceptions, std::move(producers));
  for (std::size_t k = 0; k < p.consumers; ++k) co_await q.put(std::nullopt);
  auto done = co_await coroutines::gather(std::move(workers));

  Result r;
  for (auto& depth : depths) r.max_depth = std::max(r.max_depth, depth.value());  // raises
  for (auto& mine : done) r.items.insert(r.items.end(), mine.begin(), mine.end());
  co_return r;
}

}  // namespace

Result coroutines(const Params& p) {
  return coroutines::run(pipeline(p, /*on_loop=*/false));
}

Result coroutines_naive(const Params& p) {
  return coroutines::run(pipeline(p, /*on_loop=*/true));
}

}  // namespace cmbench::fetch_and_process
