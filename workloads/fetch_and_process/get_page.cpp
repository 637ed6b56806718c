#include "get_page.hpp"

namespace cmbench::fetch_and_process {
namespace {

using callbacks::Failure;
using callbacks::Transport;

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

}  // namespace

PageRequest::PageRequest(callbacks::Reactor& reactor, const Params& p, std::size_t i) : page(i) {
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

std::unique_ptr<callbacks::Protocol> PageRequest::build_protocol() {
  return std::make_unique<PageGetter>(*this);
}

void PageRequest::client_connection_failed(const Failure& reason) {
  fail_because([&] { page.fail(reason.error_message()); });
}

void PageRequest::done() {
  if (timer.active()) timer.cancel();
  deferred.callback(Item{page.index(), page.digest(), Span{start_ns, monotonic_ns()}});
}

}  // namespace cmbench::fetch_and_process
