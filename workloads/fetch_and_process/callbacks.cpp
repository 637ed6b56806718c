// fetch_and_process, callbacks: Twisted's producer/consumer with a DeferredQueue. A
// producer fetches an item with a client factory of its own (getPage's shape), whose
// deadline is a reactor.callLater that aborts the connection and errbacks the page's
// Deferred; it then waits for a free slot of a DeferredSemaphore(Q) and puts the page into
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
#include <span>
#include <vector>

#include "models/callbacks/deferred.hpp"
#include "models/callbacks/deferred_list.hpp"
#include "models/callbacks/deferred_queue.hpp"
#include "models/callbacks/deferred_semaphore.hpp"
#include "models/callbacks/protocol.hpp"
#include "models/callbacks/reactor.hpp"
#include "spec.hpp"

namespace cmbench::fetch_and_process {
namespace {

using callbacks::Deferred;
using callbacks::Failure;
using callbacks::Reactor;
using callbacks::Transport;

// One GET with a deadline. Invariant: `deferred` fires once, with the item or with a
// FetchError naming the URL; the timer is cancelled when it fires.
class PageRequest : public callbacks::ClientFactory {
 public:
  PageRequest(Reactor& reactor, const Params& p, std::size_t i) : page(i) {
    start_ns = monotonic_ns();
    timer = reactor.call_later(p.timeout, [this, t = p.timeout] {
      if (transport) transport->abort_connection();
      fail_because([&] { page.fail(no_answer(t)); });
    });
    try {
      reactor.connect_tcp(p.port, *this);
    } catch (const std::exception& e) {  // no socket to be had
      fail_because([&] { page.fail(e.what()); });
    }
  }

  std::unique_ptr<callbacks::Protocol> build_protocol() override;
  void client_connection_failed(const Failure& reason) override {
    fail_because([&] { page.fail(reason.error_message()); });
  }
  void done() {
    if (timer.active()) timer.cancel();
    deferred.callback(Item{page.index(), page.digest(), Span{start_ns, monotonic_ns()}});
  }
  template <class Explain>  // throws the FetchError to fail with
  void fail_because(Explain explain) {
    if (deferred.called()) return;
    if (timer.active()) timer.cancel();
    try {
      explain();
    } catch (...) {
      deferred.errback(std::current_exception());
    }
  }

  Page page;
  std::int64_t start_ns;
  Transport* transport = nullptr;  // while connected
  callbacks::DelayedCall timer;
  Deferred<Item> deferred;
};

class PageGetter : public callbacks::Protocol {
 public:
  explicit PageGetter(PageRequest& r) : r_(r) {}
  void connection_made(Transport& t) override {
    if (r_.deferred.called()) return t.abort_connection();  // timed out while connecting
    r_.transport = &t;
    t.write(request(r_.page.index()));
  }
  void data_received(std::span<const std::byte> data) override {
    if (r_.deferred.called()) return;  // timed out: the connection is being aborted
    bool whole = false;
    r_.fail_because([&] {
      whole = r_.page.feed({reinterpret_cast<const char*>(data.data()), data.size()});
    });
    if (r_.deferred.called()) return transport->abort_connection();  // malformed, not 200
    if (!whole) return;
    transport->lose_connection();
    r_.done();
  }
  void connection_lost(const Failure& reason) override {
    r_.transport = nullptr;
    r_.fail_because([&] {
      if (reason.check<callbacks::ConnectionDone>()) r_.page.end_of_stream();
      r_.page.fail(reason.error_message());
    });
  }

 private:
  PageRequest& r_;
};

std::unique_ptr<callbacks::Protocol> PageRequest::build_protocol() {
  return std::make_unique<PageGetter>(*this);
}

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
