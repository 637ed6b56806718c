// fetch_and_process, callbacks: Twisted's producer/consumer with a DeferredQueue. A
// producer fetches an item with getPage (get_page.hpp: a client factory per request, whose
// deadline is a reactor.callLater that aborts the connection and errbacks the page's
// Deferred); it then waits for a free slot of a DeferredSemaphore(Q) and puts the page into
// a DeferredQueue(size=Q). Twisted's put never waits, so the semaphore is the
// backpressure, and the queue's size the guard that it holds. A consumer's
// `q.get().addCallback` gives the slot back and runs the CPU work with deferToThread; its
// Deferred's callback takes the next page. Once every producer's Deferred has fired
// (DeferredList), one None per consumer ends them; task.react runs the reactor until the
// last consumer is done.
//
// A failed or late fetch ends its producer (its Failure kept); once the consumers have
// drained the queue, the first producer's failure is raised: a FetchError naming the URL.
#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

#include "get_page.hpp"
#include "models/callbacks/deferred.hpp"
#include "models/callbacks/deferred_list.hpp"
#include "models/callbacks/deferred_queue.hpp"
#include "models/callbacks/deferred_semaphore.hpp"
#include "models/callbacks/reactor.hpp"
#include "spec.hpp"

namespace cmbench::fetch_and_process {
namespace {

using callbacks::Deferred;
using callbacks::Failure;
using callbacks::Reactor;

// What a run's producers and consumers share. Outlives the reactor: connections refer to
// their requests.
struct Run {
  explicit Run(const Params& p) : p(p), q(p.capacity), slots(p.capacity) {}
  const Params& p;
  callbacks::DeferredQueue<std::optional<Item>> q;
  callbacks::DeferredSemaphore slots;
  std::vector<std::unique_ptr<PageRequest>> requests;
};

struct Producer {
  Producer(Run& run, Reactor& reactor, std::size_t k) : run(run), reactor(reactor), i(k) {}
  void next() {
    if (i >= run.p.n) return done.callback(deepest);
    run.requests.push_back(std::make_unique<PageRequest>(reactor, run.p, i));
    run.requests.back()->deferred.add_callbacks(
        [this](const Item& page) {
          run.slots.acquire().add_callback([this, page] {
            run.q.put(page);
            deepest = std::max(deepest, run.q.size());
            i += run.p.producers;
            next();
          });
        },
        [this](const Failure& f) {
          error = f;
          done.callback(deepest);
        });
  }
  Run& run;
  Reactor& reactor;
  std::size_t i, deepest = 0;
  Failure error;
  Deferred<std::size_t> done;
};

struct Consumer {
  Consumer(Run& run, Reactor& reactor) : run(run), reactor(reactor) {}
  void next() {
    run.q.get().add_callback([this](std::optional<Item> page) {
      run.slots.release();
      if (!page) return done.callback(std::move(processed));
      reactor.defer_to_thread(process, *page, run.p.rounds).add_callback([this](Processed item) {
        processed.push_back(item);
        next();
      });
    });
  }
  Run& run;
  Reactor& reactor;
  std::vector<Processed> processed;
  Deferred<std::vector<Processed>> done;
};

}  // namespace

Result callbacks(const Params& p) {
  using Depths = std::vector<callbacks::ListEntry<std::size_t>>;
  using Outcomes = std::vector<callbacks::ListEntry<std::vector<Processed>>>;
  Run run(p);
  std::vector<std::unique_ptr<Producer>> producers;
  std::vector<std::unique_ptr<Consumer>> consumers;
  return callbacks::react([&](Reactor& reactor) -> Deferred<Result> {
    std::vector<Deferred<std::vector<Processed>>> processed;
    for (std::size_t k = 0; k < p.consumers; ++k) {
      consumers.push_back(std::make_unique<Consumer>(run, reactor));
      consumers.back()->next();
      processed.push_back(consumers.back()->done);
    }
    std::vector<Deferred<std::size_t>> fetched;
    for (std::size_t k = 0; k < p.producers; ++k) {
      producers.push_back(std::make_unique<Producer>(run, reactor, k));
      producers.back()->next();
      fetched.push_back(producers.back()->done);
    }
    return callbacks::DeferredList<std::size_t>(std::move(fetched))
        .add_callback(
            [&, processed = std::move(processed)](const Depths&) mutable -> Deferred<Outcomes> {
              for (std::size_t k = 0; k < p.consumers; ++k)
                run.slots.acquire().add_callback([&run] { run.q.put(std::nullopt); });
              return callbacks::DeferredList<std::vector<Processed>>(std::move(processed));
            })
        .add_callback([&](Outcomes outcomes) {
          Result r;
          for (auto& producer : producers) {
            if (producer->error) producer->error.raise_exception();
            r.max_depth = std::max(r.max_depth, producer->deepest);
          }
          for (auto& [ok, mine] : outcomes) {
            auto& items = std::get<std::vector<Processed>>(mine);
            r.items.insert(r.items.end(), items.begin(), items.end());
          }
          return r;
        });
  });
}

}  // namespace cmbench::fetch_and_process
