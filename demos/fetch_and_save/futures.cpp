// fetch_and_save, futures: Tornado 4's way, futures and callbacks without coroutines.
// TCPClient.connect gives an IOStream; the GET is written to it, and read_bytes(…,
// partial) is chained on itself until the page is whole; the page is then saved with
// run_in_executor (Tornado has no asynchronous files). multi() waits for the three
// downloads and run_sync runs the IOLoop until they are in: one thread, taking turns.
#include <memory>

#include "demo.hpp"
#include "models/futures/io_loop.hpp"
#include "models/futures/iostream.hpp"
#include "models/futures/multi.hpp"
#include "models/futures/tcp_client.hpp"
#include "origin.hpp"
#include "spec.hpp"

namespace cmbench::demos::fetch_and_save {

namespace {

using cmbench::futures::Future;
using cmbench::futures::IOLoop;
using cmbench::futures::IOStream;

// Reads from `stream` until `page` is whole; resolves with the page's text.
Future<std::string> read_page(IOStream stream, std::shared_ptr<Download> page) {
  return stream.read_bytes(64 * 1024, /*partial=*/true)
      .then([stream, page](const std::string& data) {
        if (page->feed(data)) {
          Future<std::string> whole;
          whole.set_result(page->text());
          return whole;
        }
        return read_page(stream, page);
      });
}

Future<std::size_t> download_and_save(std::uint16_t port, const Workdir& dir, const Site& site) {
  say("fetching {}", url(port, site));
  auto page = std::make_shared<Download>(port, site);
  return cmbench::futures::TCPClient::connect(port)
      .then([site, page](IOStream& stream) {
        stream.write(request(site));
        return read_page(stream, page).then([stream](const std::string& text) mutable {
          stream.close();
          return text;
        });
      })
      .then([&dir, site](const std::string& text) {
        return IOLoop::current()
            .run_in_executor([&dir, site, text] { save(dir, site, text); })
            .then([site, size = text.size()] {
              downloaded(site, size);
              return size;
            });
      });
}

}  // namespace

void futures() {
  const Origin origin;
  const Workdir dir("downloaded_sites");
  IOLoop::current().run_sync([&] {
    std::vector<Future<std::size_t>> downloads;
    for (const Site& site : sites) downloads.push_back(download_and_save(origin.port(), dir, site));
    return cmbench::futures::multi(std::move(downloads));
  });
  check_saved(dir);
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::fetch_and_save
