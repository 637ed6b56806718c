// http_fetch, sequential: the plain loop a script writes first, urlopen(url).read() for one
// URL after another. Each fetch blocks the only thread for the origin's whole delay, so the
// N pages take N·d; M does not matter (one request is ever in flight).
#include "spec.hpp"
#include "workloads/serving/fetch_blocking.hpp"

namespace cmbench::http_fetch {

using serving::fetch_blocking;

Result sequential(const Params& p) {
  Result pages;
  pages.reserve(p.n);
  for (std::size_t i = 0; i < p.n; ++i) pages.push_back(fetch_blocking(p.port, i, p.timeout));
  return pages;
}

}  // namespace cmbench::http_fetch
