// http_fetch, coroutines: asyncio's "fetch many URLs" example with its streams API. fetch(i)
// is an `async def`: open_connection, write the request and drain, read what has arrived
// until the page is whole, close and wait_closed, with `co_await` wherever asyncio has
// `await`. main makes every fetch a task at once with gather, and run() drives the loop
// until they are all done. With M > 0, each fetch runs inside `async with sem:` on a
// Semaphore(M), asyncio's bound: a task waits for a permit before it connects.
//
// Errors: gather(return_exceptions) waits until every fetch has finished, failed or not,
// and main then raises the first failure in URL order as FetchError. That leaves no task
// and no socket behind by construction, the order of the other models, and a bounded wait
// (every other fetch is answered within d). gather's default would raise the first failure
// at once and leave the other tasks to run()'s final cancel; that cleans up too, but
// through cancellation, which this workload does not need to measure.
// A connection closes when fetch() ends on every path: close() on success, and on a
// failure the reader's and writer's handles go with the frame's locals, which closes it.
// Each fetch runs inside wait_for(fetch(i), p.timeout), as aiohttp bounds every request with
// its ClientTimeout.
// Cost: two tasks (wait_for's frame and fetch's), a timer and a socket per URL in flight; a read
// that waits is an epoll wake-up and a trip through the ready queue.
#include <cstdint>
#include <string>
#include <system_error>

#include "models/coroutines/errors.hpp"
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/gather.hpp"
#include "models/coroutines/open_connection.hpp"
#include "models/coroutines/semaphore.hpp"
#include "models/coroutines/wait.hpp"
#include "spec.hpp"

namespace cmbench::http_fetch {
namespace {

using coroutines::Task;

Task<Fetched> fetch(std::uint16_t port, std::size_t i) {
  Page page(i);
  const std::int64_t start = monotonic_ns();
  std::int64_t end = 0;
  try {
    auto [reader, writer] = co_await coroutines::open_connection(port);
    writer.write(request(i));
    co_await writer.drain();
    while (!page.done()) {
      std::string data = co_await reader.read(64 * 1024);  // what has arrived
      if (data.empty()) page.end_of_stream();  // closed before the whole response: FetchError
      page.feed(data);
    }
    end = monotonic_ns();
    writer.close();
    co_await writer.wait_closed();
  } catch (const std::system_error& e) {  // refused, reset (ConnectionError), out of fds...
    page.fail(e.what());
  }
  co_return Fetched{page.digest(), Span{start, end}};
}

// `await asyncio.wait_for(fetch(i), timeout)`: past the timeout the fetch is cancelled (its
// connection closes as its frame unwinds) and the TimeoutError is reworded to name the URL.
Task<Fetched> fetch_within(std::uint16_t port, std::size_t i, std::chrono::milliseconds timeout) {
  try {
    co_return co_await coroutines::wait_for(fetch(port, i), timeout);
  } catch (const coroutines::TimeoutError&) {
  }
  Page(i).fail(serving::timed_out(timeout));
}

// `async with sem: return await asyncio.wait_for(fetch(i), timeout)`
Task<Fetched> bounded_fetch(coroutines::Semaphore& sem, const Params& p, std::size_t i) {
  auto held = co_await sem.hold();
  co_return co_await fetch_within(p.port, i, p.timeout);
}

Task<Result> fetch_all(const Params& p) {
  coroutines::Semaphore sem(p.max_in_flight);  // used only when M > 0
  std::vector<Task<Fetched>> fetches;
  fetches.reserve(p.n);
  for (std::size_t i = 0; i < p.n; ++i)
    fetches.push_back(p.max_in_flight > 0 ? bounded_fetch(sem, p, i)
                                          : fetch_within(p.port, i, p.timeout));
  auto outcomes = co_await coroutines::gather(coroutines::return_exceptions, std::move(fetches));
  Result pages;
  pages.reserve(p.n);
  for (auto& outcome : outcomes) pages.push_back(outcome.value());  // the first failure raises
  co_return pages;
}

}  // namespace

Result coroutines(const Params& p) {
  return coroutines::run(fetch_all(p));
}

}  // namespace cmbench::http_fetch
