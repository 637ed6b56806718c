// fetch_and_save, callbacks: Twisted's way. A PageGetter protocol sends the GET once the
// connection is made and feeds what arrives to the Download; when the page is whole it
// closes the connection and fires its factory's Deferred (the factory is the request, as
// twisted.web.client's HTTPClientFactory is). A callback saves the page with
// deferToThread (Twisted has no asynchronous files), and gatherResults waits for the
// three. reactor.connect_tcp starts each fetch; the reactor's one thread serves all three
// connections as their bytes arrive.
#include <memory>

#include "demo.hpp"
#include "models/callbacks/deferred_list.hpp"
#include "models/callbacks/protocol.hpp"
#include "models/callbacks/reactor.hpp"
#include "origin.hpp"
#include "spec.hpp"

namespace cmbench::demos::fetch_and_save {

namespace {

using namespace cmbench::callbacks;  // from twisted.internet import ...
using cmbench::callbacks::Reactor;

class PageFactory : public ClientFactory {
 public:
  PageFactory(std::uint16_t port, const Site& site) : site(site), page(port, site) {}
  std::unique_ptr<Protocol> build_protocol() override;
  void client_connection_failed(const Failure& reason) override { fail(reason); }
  void fail(const Failure& reason) {
    if (!deferred.called()) deferred.errback(reason);
  }
  Site site;
  Download page;
  Deferred<std::string> deferred;  // fires once: the page's text, or why there is none
};

class PageGetter : public Protocol {
 public:
  explicit PageGetter(PageFactory& factory) : factory_(factory) {}
  void connection_made(Transport& transport) override { transport.write(request(factory_.site)); }
  void data_received(std::span<const std::byte> data) override {
    if (!factory_.page.feed({reinterpret_cast<const char*>(data.data()), data.size()})) return;
    transport->lose_connection();
    factory_.deferred.callback(factory_.page.text());
  }
  void connection_lost(const Failure& reason) override {
    if (factory_.deferred.called()) return;
    try {
      factory_.page.feed({});  // closed before the whole page: throws
    } catch (...) {
      return factory_.fail(Failure(std::current_exception()));
    }
    factory_.fail(reason);
  }

 private:
  PageFactory& factory_;
};

std::unique_ptr<Protocol> PageFactory::build_protocol() {
  return std::make_unique<PageGetter>(*this);
}

Deferred<std::size_t> download_and_save(Reactor& reactor, PageFactory& factory, std::uint16_t port,
                                        const Workdir& dir) {
  say("fetching {}", url(port, factory.site));
  reactor.connect_tcp(port, factory);
  const Site site = factory.site;
  return factory.deferred.add_callback([&reactor, &dir, site](const std::string& text) {
    return reactor.defer_to_thread([&dir, site, text] { save(dir, site, text); })
        .add_callback([site, size = text.size()] {
          downloaded(site, size);
          return size;
        });
  });
}

}  // namespace

void callbacks() {
  const Origin origin;
  const Workdir dir("downloaded_sites");
  std::vector<std::unique_ptr<PageFactory>> factories;  // outlive the reactor's connections
  react([&](Reactor& reactor) {
    std::vector<Deferred<std::size_t>> downloads;
    for (const Site& site : sites) {
      auto& factory = *factories.emplace_back(std::make_unique<PageFactory>(origin.port(), site));
      downloads.push_back(download_and_save(reactor, factory, origin.port(), dir));
    }
    return gather_results(std::move(downloads));
  });
  check_saved(dir);
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::fetch_and_save
