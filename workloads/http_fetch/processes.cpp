// http_fetch, processes: multiprocessing.Pool(M).map(fetch, urls), with Pool(N) when M sets
// no bound: N ≤ 1 000 here (the model's limit). Each worker fetches one URL per task with
// blocking calls and sends its Fetched (a digest and a span, trivially copyable) back
// through the pool's pipe. The fork of every worker is part of the run, as it is when a
// script builds its Pool: about 0.3 ms each, before the first request goes out.
//
// A fetch that fails in a worker comes back as the pool's ChildError ("child <pid>: GET
// /item/i: ...") once the tasks already sent have finished; it is thrown on as a FetchError
// with those words. The pool reaps every worker on every path.
#include <algorithm>
#include <numeric>
#include <vector>

#include "models/processes/pool.hpp"
#include "spec.hpp"
#include "workloads/serving/fetch_blocking.hpp"

namespace mp = cmbench::processes;  // as in `import multiprocessing as mp`

namespace cmbench::http_fetch {

using serving::fetch_blocking;

Result processes(const Params& p) {
  if (p.n == 0) return {};
  std::vector<std::size_t> urls(p.n);
  std::iota(urls.begin(), urls.end(), std::size_t{0});
  const std::size_t workers = p.max_in_flight > 0 ? std::min(p.max_in_flight, p.n) : p.n;
  mp::Pool pool(unsigned(workers), [port = p.port, timeout = p.timeout](std::size_t i) {
    return fetch_blocking(port, i, timeout);
  });
  try {
    return pool.map(urls);
  } catch (const mp::ChildError& e) {
    throw FetchError(e.what());
  }
}

}  // namespace cmbench::http_fetch
