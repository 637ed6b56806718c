// http_fetch, callbacks: Twisted's getPage. Each URL gets a client factory of its own (as
// twisted.web.client's HTTPClientFactory: the factory *is* the request, and holds the
// Deferred its caller waits on); reactor.connect_tcp builds a protocol once the connection
// is up, which sends the GET, feeds what arrives to the Page, and fires the factory's
// Deferred when the page is complete, or errbacks it with a FetchError when the connection
// fails or ends too soon. A DeferredList gathers the N Deferreds; task.react runs the
// reactor until it fires. With M > 0, a DeferredSemaphore(M) runs each fetch: a fetch
// starts (connects) only once it holds a token, and gives it back when its Deferred fires.
//
// Every fetch runs to its end (DeferredList waits for all of them, failed or not); then the
// first failure in URL order is raised. A connection is closed as soon as its page is in
// (lose_connection) or it failed; those still closing when the reactor stops are closed
// with it. Each fetch has a timeout, as HTTPClientFactory's: a callLater that aborts the
// connection and fails the Deferred if the page is not in by then.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "models/callbacks/deferred.hpp"
#include "models/callbacks/deferred_list.hpp"
#include "models/callbacks/deferred_semaphore.hpp"
#include "models/callbacks/protocol.hpp"
#include "models/callbacks/reactor.hpp"
#include "spec.hpp"

namespace cmbench::http_fetch {
namespace {

using callbacks::ConnectionDone;
using callbacks::Deferred;
using callbacks::DeferredList;
using callbacks::DeferredSemaphore;
using callbacks::Failure;
using callbacks::ListEntry;
using callbacks::Protocol;
using callbacks::Reactor;
using callbacks::Transport;

// One GET. Invariant: `deferred` fires once, with the page when it is complete or with a
// FetchError naming the URL; after that nothing this fetch's connection does matters.
class PageFactory : public callbacks::ClientFactory {
 public:
  explicit PageFactory(std::size_t index) : page(index) {}

  std::unique_ptr<Protocol> build_protocol() override;
  void client_connection_failed(const Failure& reason) override {
    fail_because([&] { page.fail(reason.error_message()); });
  }

  void page_done() {
    span.end_ns = monotonic_ns();
    if (timeout.active()) timeout.cancel();
    deferred.callback(Fetched{page.digest(), span});
  }
  void fail(std::exception_ptr error) {
    if (timeout.active()) timeout.cancel();
    if (!deferred.called()) deferred.errback(std::move(error));
  }
  // HTTPClientFactory's timeout: the page is not in yet; drop the connection and fail.
  void timed_out(std::chrono::milliseconds after) {
    fail_because([&] { page.fail(serving::timed_out(after)); });  // before the abort's reason
    if (transport) transport->abort_connection();
  }
  // Fails with the FetchError that `explain` throws (a Page's end_of_stream or fail).
  template <class F>
  void fail_because(F explain) {
    if (deferred.called()) return;
    try {
      explain();
    } catch (...) {
      fail(std::current_exception());
    }
  }

  Page page;
  Span span;
  Deferred<Fetched> deferred;
  callbacks::DelayedCall timeout;  // reactor.callLater(timeout, ...), from get_page
  Transport* transport = nullptr;  // while connected
};

class PageGetter : public Protocol {
 public:
  explicit PageGetter(PageFactory& request) : request_(request) {}

  void connection_made(Transport& transport) override {
    request_.transport = &transport;
    transport.write(request(request_.page.index()));
  }

  void data_received(std::span<const std::byte> data) override {
    bool done;
    try {
      done = request_.page.feed({reinterpret_cast<const char*>(data.data()), data.size()});
    } catch (...) {  // a malformed response, or not a 200
      transport->abort_connection();
      return request_.fail(std::current_exception());
    }
    if (!done) return;
    transport->lose_connection();  // Connection: close; nothing more to read
    request_.page_done();
  }

  void connection_lost(const Failure& reason) override {
    request_.transport = nullptr;
    request_.fail_because([&] {
      if (reason.check<ConnectionDone>()) request_.page.end_of_stream();  // ended too soon
      request_.page.fail(reason.error_message());                         // reset, say
    });
  }

 private:
  PageFactory& request_;
};

std::unique_ptr<Protocol> PageFactory::build_protocol() {
  return std::make_unique<PageGetter>(*this);
}

Deferred<Fetched> get_page(Reactor& reactor, const Params& p, PageFactory& factory) {
  factory.span.start_ns = monotonic_ns();
  factory.timeout =
      reactor.call_later(p.timeout, [&factory, after = p.timeout] { factory.timed_out(after); });
  const std::uint16_t port = p.port;
  try {
    reactor.connect_tcp(port, factory);
  } catch (const std::exception& e) {  // no socket to be had (EMFILE, say)
    factory.fail_because([&] { factory.page.fail(e.what()); });
  }
  return factory.deferred;
}

}  // namespace

Result callbacks(const Params& p) {
  // Both outlive the reactor (made inside react): connections refer to their factory, and
  // the fetches' chains to the semaphore.
  std::vector<std::unique_ptr<PageFactory>> factories;
  std::optional<DeferredSemaphore> semaphore;
  if (p.max_in_flight > 0) semaphore.emplace(p.max_in_flight);

  using Outcomes = std::vector<ListEntry<Fetched>>;
  Outcomes outcomes = callbacks::react([&](Reactor& reactor) -> Deferred<Outcomes> {
    std::vector<Deferred<Fetched>> pages;
    pages.reserve(p.n);
    for (std::size_t i = 0; i < p.n; ++i) {
      PageFactory& factory = *factories.emplace_back(std::make_unique<PageFactory>(i));
      auto fetch = [&reactor, &factory, &p] { return get_page(reactor, p, factory); };
      pages.push_back(semaphore ? semaphore->run(fetch) : fetch());
    }
    return DeferredList<Fetched>(std::move(pages));
  });

  Result fetched;
  fetched.reserve(outcomes.size());
  for (auto& [succeeded, outcome] : outcomes) {
    if (!succeeded) std::get<Failure>(outcome).raise_exception();  // a FetchError
    fetched.push_back(std::get<Fetched>(outcome));
  }
  return fetched;
}

}  // namespace cmbench::http_fetch
