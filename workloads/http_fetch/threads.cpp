// http_fetch, threads: blocking fetches on OS threads, as with threading.Thread per URL, or
// with concurrent.futures.ThreadPoolExecutor(max_workers=M).map when M bounds the requests
// in flight. A thread blocked in recv costs no CPU, so the waits overlap; the cost is a
// thread start (≈ 30 µs here) per URL, or per worker with a pool.
//
// Either way the run throws the failure of the lowest URL index (a FetchError naming it),
// once every thread has been joined. With a pool, the first failed fetch also shuts the pool
// down with cancel_futures, so that no worker starts another fetch.
#include <exception>
#include <ranges>
#include <thread>
#include <vector>

#include "models/threads/executor.hpp"
#include "spec.hpp"
#include "workloads/serving/fetch_blocking.hpp"

namespace cmbench::http_fetch {

using serving::fetch_blocking;
namespace {

// threads = [Thread(target=fetch, args=(i,)) for i in range(n)]; start them all, join them
// all. A thread's exception cannot leave it, so each keeps its own, to be raised after join.
Result thread_per_url(const Params& p) {
  Result pages(p.n);
  // Each thread writes only its own slots; join() publishes them.
  std::vector<std::exception_ptr> errors(p.n);
  auto fetch = [&](std::size_t i) {
    try {
      pages[i] = fetch_blocking(p.port, i, p.timeout);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  };
  {
    std::vector<std::jthread> threads;
    threads.reserve(p.n);
    for (std::size_t i = 0; i < p.n; ++i) threads.emplace_back(fetch, i);
  }  // jthreads join here, also when starting one failed (std::system_error goes on)
  for (const auto& error : errors)
    if (error) std::rethrow_exception(error);
  return pages;
}

// with ThreadPoolExecutor(max_workers=M) as pool: return list(pool.map(fetch, range(n)))
Result pool_map(const Params& p) {
  threads::ThreadPoolExecutor pool(p.max_in_flight);
  auto fetch = [&](std::size_t i) {
    try {
      return fetch_blocking(p.port, i, p.timeout);
    } catch (...) {
      pool.shutdown(/*wait=*/false, /*cancel_futures=*/true);
      throw;
    }
  };
  // map raises the first failure in URL order; leaving this scope joins the workers first.
  return pool.map(fetch, std::views::iota(std::size_t{0}, p.n));
}

}  // namespace

Result threads(const Params& p) {
  return p.max_in_flight == 0 ? thread_per_url(p) : pool_map(p);
}

}  // namespace cmbench::http_fetch
