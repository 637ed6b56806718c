// cpu_bound, sequential: one chunk after another on one core. The reference time.
#include "spec.hpp"

namespace cmbench::cpu_bound {

Result sequential(const Params& p) {
  Result results;
  for (const auto& chunk : p.chunks) results.push_back(run_chunk(chunk));
  return results;
}

}  // namespace cmbench::cpu_bound
