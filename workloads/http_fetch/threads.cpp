// http_fetch, threads: blocking fetches on OS threads, as with threading.Thread per URL, or
// with concurrent.futures.ThreadPoolExecutor(max_workers=M).map when M bounds the requests
// in flight. A thread blocked in recv costs no CPU, so the waits overlap; the cost is a
// thread start (≈ 30 µs here) per URL, or per worker with a pool.
//
// The pool is the executor stripped to what map needs: M workers that each take the next
// URL index from one shared counter until none is left. A failed fetch is kept, not thrown
// on its thread; once every thread has been joined the run throws the failure of the lowest
// URL index (a FetchError naming it), and with a pool no worker starts another fetch.
#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
#include <vector>

#include "blocking.hpp"
#include "spec.hpp"

namespace cmbench::http_fetch {

Result threads(const Params& p) {
  Result pages(p.n);
  // Each thread writes only the slots of the indices it fetched; join() publishes them.
  std::vector<std::exception_ptr> errors(p.n);
  std::atomic<bool> failed{false};
  std::atomic<std::size_t> next{0};  // the executor's next URL index
  auto fetch = [&](std::size_t i) {
    try {
      pages[i] = fetch_blocking(p.port, i);
    } catch (...) {
      errors[i] = std::current_exception();
      failed.store(true, std::memory_order_relaxed);
    }
  };
  {
    std::vector<std::jthread> workers;
    if (p.max_in_flight == 0) {  // a thread per URL
      workers.reserve(p.n);
      for (std::size_t i = 0; i < p.n; ++i) workers.emplace_back(fetch, i);
    } else {  // an executor of M workers
      const std::size_t m = std::min(p.max_in_flight, p.n);
      workers.reserve(m);
      for (std::size_t w = 0; w < m; ++w) {
        workers.emplace_back([&] {
          for (;;) {
            const std::size_t i = next.fetch_add(1, std::memory_order_relaxed);
            if (i >= p.n || failed.load(std::memory_order_relaxed)) return;
            fetch(i);
          }
        });
      }
    }
  }  // jthreads join here, also when starting one failed (std::system_error goes on)
  for (const auto& error : errors)
    if (error) std::rethrow_exception(error);
  return pages;
}

}  // namespace cmbench::http_fetch
