// fetch_and_process, processes: the multiprocessing producer/consumer recipe. P producer
// processes fetch with blocking calls (a socket timeout) and put the pages into a
// multiprocessing.Queue(maxsize=Q), shared by every process the parent forks; C consumer
// processes get pages, process them on cores of their own and put the results into a
// second queue, sized for every item so that a consumer never waits on the parent. The
// parent joins the producers, puts one stop message per consumer, joins the consumers and
// reads the results.
//
// A failed or late fetch ends its producer with an exception, which comes back as the
// pool's ChildError ("child <pid>: GET /item/i: ..."); the run throws the first (in
// producer order) as a FetchError once the consumers have drained the queue. Every child
// is reaped on every path (Process kills and reaps one that was never joined).
#include <algorithm>
#include <optional>
#include <vector>

#include "models/processes/process.hpp"
#include "models/processes/queue.hpp"
#include "spec.hpp"
#include "workloads/serving/fetch_blocking.hpp"

namespace mp = cmbench::processes;  // as in `import multiprocessing as mp`

namespace cmbench::fetch_and_process {
namespace {

struct Message {  // a page, or the end (Python puts None)
  Item item;
  bool stop = false;
};

}  // namespace

Result processes(const Params& p) {
  mp::Queue<Message> pages(p.capacity);
  mp::Queue<Processed> results(p.n);

  std::vector<mp::Process<std::size_t>> consumers;
  for (std::size_t k = 0; k < p.consumers; ++k)
    consumers.emplace_back([&] {
      std::size_t count = 0;
      for (;;) {
        Message m = pages.get();
        if (m.stop) return count;
        results.put(process(m.item, p.rounds));
        ++count;
      }
    });
  std::vector<mp::Process<std::size_t>> producers;
  for (std::size_t k = 0; k < p.producers; ++k)
    producers.emplace_back([&, k] {
      std::size_t deepest = 0;
      for (std::size_t i = k; i < p.n; i += p.producers) {
        serving::Fetched page = serving::fetch_blocking(p.port, i, p.timeout);
        pages.put(Message{Item{i, page.digest, page.span}});
        deepest = std::max(deepest, pages.qsize());
      }
      return deepest;
    });

  Result r;
  std::optional<mp::ChildError> failed;
  for (auto& producer : producers) {
    try {
      r.max_depth = std::max(r.max_depth, producer.join());
    } catch (const mp::ChildError& e) {
      if (!failed) failed = e;
    }
  }
  for (std::size_t k = 0; k < p.consumers; ++k) pages.put(Message{{}, true});
  std::size_t processed = 0;
  for (auto& consumer : consumers) processed += consumer.join();
  for (std::size_t k = 0; k < processed; ++k) r.items.push_back(results.get());
  if (failed) throw FetchError(failed->what());
  return r;
}

}  // namespace cmbench::fetch_and_process
