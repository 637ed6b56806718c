// fetch_and_process, threads: the queue.Queue tutorial. P producer threads fetch with
// blocking calls (urlopen with a timeout) and put each page into a Queue(maxsize=Q); C
// consumer threads get pages and process them; a None per consumer, put once every
// producer has been joined, tells the consumers to stop. The kernel runs on the consumers'
// own threads: C of them compute on C cores while the producers wait in recv.
//
// A failed fetch ends its producer; the others finish their items, the consumers drain the
// queue and stop, and the run raises the failure of the lowest producer, a FetchError
// naming the URL. Every thread is joined on every path.
#include <algorithm>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

#include "models/threads/queue.hpp"
#include "spec.hpp"
#include "workloads/serving/fetch_blocking.hpp"

namespace cmbench::fetch_and_process {

Result threads(const Params& p) {
  threads::Queue<std::optional<Item>> q(p.capacity);
  // Each thread writes only its own slots; join() publishes them.
  std::vector<std::size_t> depths(p.producers);
  std::vector<std::exception_ptr> errors(p.producers);
  std::vector<std::vector<Processed>> done(p.consumers);

  auto producer = [&](std::size_t k) {
    try {
      for (std::size_t i = k; i < p.n; i += p.producers) {
        serving::Fetched page = serving::fetch_blocking(p.port, i, p.timeout);
        q.put(Item{i, page.digest, page.span});
        depths[k] = std::max(depths[k], q.qsize());
      }
    } catch (...) {
      errors[k] = std::current_exception();
    }
  };
  auto consumer = [&](std::size_t k) {
    while (std::optional<Item> item = q.get()) done[k].push_back(process(*item, p.rounds));
  };

  {
    std::vector<std::jthread> consumers;
    for (std::size_t k = 0; k < p.consumers; ++k) consumers.emplace_back(consumer, k);
    {
      std::vector<std::jthread> producers;
      for (std::size_t k = 0; k < p.producers; ++k) producers.emplace_back(producer, k);
    }  // every producer joined
    for (std::size_t k = 0; k < p.consumers; ++k) q.put(std::nullopt);
  }  // every consumer joined
  for (const auto& error : errors)
    if (error) std::rethrow_exception(error);

  Result r;
  r.max_depth = *std::max_element(depths.begin(), depths.end());
  for (auto& mine : done) r.items.insert(r.items.end(), mine.begin(), mine.end());
  return r;
}

}  // namespace cmbench::fetch_and_process
