// fetch_and_process, futures: Tornado's queue example (tornado.queues.Queue) written the
// Tornado 4 way, with futures and done-callbacks instead of coroutines. A producer fetches
// an item (TCPClient.connect, IOStream.write, read_bytes until the page is whole), bounded
// by gen.with_timeout, then `q.put(page)` into a Queue(maxsize=Q), and goes on with its next
// item when the put's future resolves, which is when the queue has room: backpressure. A
// consumer waits on `q.get()` and hands the CPU work to IOLoop.run_in_executor, taking its
// next page when the executor's future resolves. When every producer is done (gen.multi),
// one None per consumer ends them; IOLoop.run_sync runs the whole.
//
// A failed or late fetch ends its producer; its error (a FetchError naming the URL) is
// raised once every producer has ended and the consumers have drained the queue. A fetch
// that timed out keeps its stream until the loop is destroyed, which closes it (Tornado's
// with_timeout does not cancel either).
#include <algorithm>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/futures/io_loop.hpp"
#include "models/futures/iostream.hpp"
#include "models/futures/multi.hpp"
#include "models/futures/queues.hpp"
#include "models/futures/tcp_client.hpp"
#include "models/futures/with_timeout.hpp"
#include "spec.hpp"

namespace cmbench::fetch_and_process {
namespace {

using futures::Future;
using futures::IOStream;
using Pages = futures::Queue<std::optional<Item>>;

// Reads until the page is whole, one read_bytes(…, partial=True) at a time.
Future<Item> read_page(IOStream stream, std::shared_ptr<Page> page, std::int64_t start) {
  return stream.read_bytes(64 * 1024, /*partial=*/true)
      .then([stream, page, start](std::string& bytes) mutable -> Future<Item> {
        if (!page->feed(bytes)) return read_page(stream, page, start);
        Future<Item> item;
        item.set_result(Item{page->index(), page->digest(), Span{start, monotonic_ns()}});
        stream.close();
        return item;
      });
}

Future<Item> fetch(std::uint16_t port, std::size_t i) {
  auto page = std::make_shared<Page>(i);
  const std::int64_t start = monotonic_ns();
  return futures::TCPClient::connect(port).then([page, start](IOStream& stream) {
    stream.write(request(page->index()));
    return read_page(stream, page, start);
  });
}

// gen.with_timeout(timeout, fetch(i)), with every failure worded as a FetchError for i.
Future<Item> fetch_within(const Params& p, std::size_t i) {
  Future<Item> out;
  futures::with_timeout(p.timeout, fetch(p.port, i))
      .add_done_callback([out, i, timeout = p.timeout](Future<Item>& got) mutable {
        std::exception_ptr error = got.exception();
        if (!error) return out.set_result(got.result());
        try {
          try {
            std::rethrow_exception(error);
          } catch (const FetchError&) {
            throw;
          } catch (const futures::TimeoutError&) {
            Page(i).fail(no_answer(timeout));
          } catch (const std::exception& e) {  // refused, StreamClosedError...
            Page(i).fail(e.what());
          }
        } catch (...) {
          out.set_exception(std::current_exception());
        }
      });
  return out;
}

// Fetches items k, k+P, … and puts each; resolves with the deepest queue it saw. A failure
// is kept in `error` and ends it early.
struct Producer : std::enable_shared_from_this<Producer> {
  Producer(const Params& p, Pages& q, std::size_t k) : p(p), q(q), i(k) {}

  void next() {
    if (i >= p.n) return done.set_result(deepest);
    fetch_within(p, i).add_done_callback(
        [self = shared_from_this()](Future<Item>& page) { self->put(page); });
  }
  void put(Future<Item>& page) {
    if ((error = page.exception())) return done.set_result(deepest);
    q.put(page.result()).add_done_callback([self = shared_from_this()](Future<void>&) {
      self->deepest = std::max(self->deepest, self->q.qsize());
      self->i += self->p.producers;
      self->next();
    });
  }

  const Params& p;
  Pages& q;
  std::size_t i, deepest = 0;
  std::exception_ptr error;
  Future<std::size_t> done;
};

// Gets pages and processes each in the executor, until a None.
struct Consumer : std::enable_shared_from_this<Consumer> {
  Consumer(const Params& p, Pages& q) : p(p), q(q) {}

  void next() {
    q.get().add_done_callback([self = shared_from_this()](Future<std::optional<Item>>& page) {
      self->work(page.result());
    });
  }
  void work(const std::optional<Item>& page) {
    if (!page) return done.set_result(std::move(processed));
    futures::IOLoop::current()
        .run_in_executor([item = *page, rounds = p.rounds] { return process(item, rounds); })
        .add_done_callback([self = shared_from_this()](Future<Processed>& item) {
          self->processed.push_back(item.result());
          self->next();
        });
  }

  const Params& p;
  Pages& q;
  std::vector<Processed> processed;
  Future<std::vector<Processed>> done;
};

}  // namespace

Result futures(const Params& p) {
  Pages q(p.capacity);
  std::vector<std::shared_ptr<Producer>> producers;
  futures::IOLoop loop;
  return loop.run_sync([&] {
    std::vector<Future<std::vector<Processed>>> consumers;
    for (std::size_t k = 0; k < p.consumers; ++k) {
      auto consumer = std::make_shared<Consumer>(p, q);
      consumer->next();
      consumers.push_back(consumer->done);
    }
    std::vector<Future<std::size_t>> fetched;
    for (std::size_t k = 0; k < p.producers; ++k) {
      producers.push_back(std::make_shared<Producer>(p, q, k));
      producers.back()->next();
      fetched.push_back(producers.back()->done);
    }
    return futures::multi(std::move(fetched))
        .then([&, consumers = std::move(consumers)](std::vector<std::size_t>& depths) mutable {
          for (std::size_t k = 0; k < p.consumers; ++k) q.put(std::nullopt);
          return futures::multi(std::move(consumers))
              .then([&, depths](std::vector<std::vector<Processed>>& done) {
                for (auto& producer : producers)
                  if (producer->error) std::rethrow_exception(producer->error);
                Result r;
                r.max_depth = *std::max_element(depths.begin(), depths.end());
                for (auto& mine : done) r.items.insert(r.items.end(), mine.begin(), mine.end());
                return r;
              });
        });
  });
}

}  // namespace cmbench::fetch_and_process
