// The callbacks model's HTTP client for fetch_and_process: Twisted's getPage with a
// deadline. A PageRequest is the client factory of one GET (as twisted.web.client's
// HTTPClientFactory, the factory *is* the request and holds the Deferred its caller waits
// on); the reactor builds a PageGetter once the connection is up, which sends the GET and
// feeds what arrives to the Page. A reactor.callLater is the deadline: it aborts the
// connection and errbacks the Deferred with a FetchError naming the URL.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "models/callbacks/deferred.hpp"
#include "models/callbacks/protocol.hpp"
#include "models/callbacks/reactor.hpp"
#include "spec.hpp"

namespace cmbench::fetch_and_process {

// One GET, started (connecting) on construction. Invariant: `deferred` fires once, with the
// item or with a FetchError naming the URL; the timer is cancelled when it fires. Must
// outlive the reactor: its connection refers to it until the reactor closes it.
class PageRequest : public callbacks::ClientFactory {
 public:
  PageRequest(callbacks::Reactor& reactor, const Params& p, std::size_t i);

  std::unique_ptr<callbacks::Protocol> build_protocol() override;
  void client_connection_failed(const callbacks::Failure& reason) override;
  // The page is whole: fires `deferred` with it.
  void done();
  // Fires `deferred` with the FetchError `explain` throws, unless it has fired already.
  template <class Explain>
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
  callbacks::Transport* transport = nullptr;  // while connected
  callbacks::DelayedCall timer;
  callbacks::Deferred<Item> deferred;
};

}  // namespace cmbench::fetch_and_process
