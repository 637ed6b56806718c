// http_fetch, fibers: gevent's "fetch many URLs" example. After monkey.patch_all() the
// fetch is the blocking client's code word for word (connect, sendall, recv until the page
// is whole, close); the only gevent words are in main: spawn one greenlet per URL and
// joinall them. Each call that would block parks its greenlet on the hub's reactor, so one
// thread keeps every connection in flight at once. With M > 0 the greenlets go through a
// Pool(M), gevent's bound: the pool starts a greenlet only while fewer than M of its own
// run, and map() returns the pages in URL order.
//
// Errors: a fetch that fails raises FetchError naming its URL in its own greenlet; the main
// greenlet reads the results in URL order once every greenlet has finished, so it raises
// the first failure in URL order and leaves no greenlet behind. A socket closes as its
// greenlet leaves fetch(), on every path; a Timeout bounds each fetch, as gevent.Timeout
// would, raising at whichever call was waiting. Cost: a greenlet (a 16 KiB stack) and a socket
// per URL in flight; each blocking call that waits is two switches through the hub.
#include <cstdint>
#include <ranges>
#include <system_error>

#include "models/fibers/fibers.hpp"
#include "spec.hpp"

namespace cmbench::http_fetch {
namespace {

// One page over a connection of its own, as blocking code reads it.
Fetched fetch(std::uint16_t port, std::size_t i, std::chrono::milliseconds timeout) {
  Page page(i);
  const std::int64_t start = monotonic_ns();
  std::int64_t end = 0;
  try {
    fibers::Timeout limit(timeout);  // with gevent.Timeout(timeout):
    fibers::Socket sock = fibers::Socket::connect(port);
    sock.sendall(request(i));
    while (!page.done()) {
      std::size_t n = sock.recv(page.buffer());
      if (n == 0) page.end_of_stream();  // closed before the whole response: FetchError
      page.commit(n);
    }
    // The page is whole; the socket closes as its scope ends.
    end = monotonic_ns();
  } catch (const std::system_error& e) {  // refused, reset, out of descriptors...
    page.fail(e.what());
  } catch (const fibers::TimeoutError&) {  // raised at the blocking call that was waiting
    page.fail(serving::timed_out(timeout));
  }
  return Fetched{page.digest(), Span{start, end}};
}

}  // namespace

Result fibers(const Params& p) {
  return fibers::run([&p]() -> Result {
    auto urls = std::views::iota(std::size_t{0}, p.n);
    auto fetch_one = [&p](std::size_t i) { return fetch(p.port, i, p.timeout); };
    if (p.max_in_flight > 0) {
      fibers::Pool pool(p.max_in_flight);
      return pool.map(fetch_one, urls);
    }
    std::vector<fibers::Greenlet<Fetched>> jobs;
    jobs.reserve(p.n);
    for (std::size_t i : urls) jobs.push_back(fibers::spawn(fetch_one, i));
    fibers::joinall(jobs);
    Result pages;
    pages.reserve(p.n);
    for (auto& job : jobs) pages.push_back(job.get());  // the first failure, in URL order
    return pages;
  });
}

}  // namespace cmbench::http_fetch
