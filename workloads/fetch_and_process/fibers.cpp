// fetch_and_process, fibers: gevent's producer/consumer recipe. P producer greenlets fetch
// with plain blocking-looking socket code, each fetch inside `with gevent.Timeout(...)`,
// and put the pages into a gevent.queue.Queue(maxsize=Q), whose put parks them while it is
// full; C consumer greenlets get pages and hand the CPU work to the hub's thread pool
// (get_hub().threadpool.apply), which parks only the consumer while a pool thread computes.
// After joinall of the producers, one None per consumer ends them.
//
// A failed or late fetch raises FetchError naming the URL in its producer; the run raises
// the first one (in producer order) once the consumers have drained the queue and ended.
#include <algorithm>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "models/fibers/fibers.hpp"
#include "models/fibers/queue.hpp"
#include "models/fibers/threadpool.hpp"
#include "models/fibers/timeout.hpp"
#include "spec.hpp"

namespace cmbench::fetch_and_process {
namespace {

using Pages = fibers::Queue<std::optional<Item>>;

// One page, with socket code as blocking as the sequential version's; the hub does the rest.
Item fetch(const Params& p, std::size_t i) {
  Page page(i);
  const std::int64_t start = monotonic_ns();
  try {
    fibers::Timeout limit(p.timeout);  // `with gevent.Timeout(timeout):`
    fibers::Socket sock = fibers::Socket::connect(p.port);
    sock.sendall(request(i));
    while (!page.done()) {
      std::size_t n = sock.recv(page.buffer());
      if (n == 0) page.end_of_stream();  // closed before the whole response
      page.commit(n);
    }
  } catch (const fibers::TimeoutError&) {
    page.fail(no_answer(p.timeout));
  } catch (const std::system_error& e) {  // refused, reset...
    page.fail(e.what());
  }
  return Item{i, page.digest(), Span{start, monotonic_ns()}};
}

std::size_t producer(const Params& p, Pages& q, std::size_t k) {
  std::size_t deepest = 0;
  for (std::size_t i = k; i < p.n; i += p.producers) {
    q.put(fetch(p, i));
    deepest = std::max(deepest, q.qsize());
  }
  return deepest;
}

std::vector<Processed> consumer(const Params& p, Pages& q) {
  std::vector<Processed> done;
  while (std::optional<Item> page = q.get())
    done.push_back(fibers::threadpool::apply(
        [page = *page, rounds = p.rounds] { return process(page, rounds); }));
  return done;
}

}  // namespace

Result fibers(const Params& p) {
  return fibers::run([&p]() -> Result {
    Pages q(p.capacity);
    std::vector<fibers::Greenlet<std::vector<Processed>>> consumers;
    for (std::size_t k = 0; k < p.consumers; ++k) {
      consumers.push_back(fibers::spawn([&] { return consumer(p, q); }));
      consumers.back().set_name("consumer " + std::to_string(k));
    }
    std::vector<fibers::Greenlet<std::size_t>> producers;
    for (std::size_t k = 0; k < p.producers; ++k) {
      producers.push_back(fibers::spawn([&p, &q, k] { return producer(p, q, k); }));
      producers.back().set_name("producer " + std::to_string(k));
    }

    fibers::joinall(producers);
    for (std::size_t k = 0; k < p.consumers; ++k) q.put(std::nullopt);
    fibers::joinall(consumers);

    Result r;
    for (auto& g : producers) r.max_depth = std::max(r.max_depth, g.get());  // raises
    for (auto& g : consumers) {
      std::vector<Processed> mine = g.get();
      r.items.insert(r.items.end(), mine.begin(), mine.end());
    }
    return r;
  });
}

}  // namespace cmbench::fetch_and_process
