// fetch_and_process, sequential: the script a first version is: for each URL, fetch the
// page (urlopen with a timeout), then process it. No queue, no overlap: the N items take
// N·(d + c), the baseline every pipeline is measured against.
#include "spec.hpp"
#include "workloads/serving/fetch_blocking.hpp"

namespace cmbench::fetch_and_process {

Result sequential(const Params& p) {
  Result done;
  done.items.reserve(p.n);
  for (std::size_t i = 0; i < p.n; ++i) {
    serving::Fetched page = serving::fetch_blocking(p.port, i, p.timeout);
    done.items.push_back(process({i, page.digest, page.span}, p.rounds));
  }
  return done;
}

}  // namespace cmbench::fetch_and_process
