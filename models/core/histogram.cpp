#include "histogram.hpp"

#include <cmath>
#include <stdexcept>

namespace cmbench {

std::uint64_t LatencyHistogram::percentile(double q) const {
  if (!(q >= 0.0 && q <= 1.0))  // also refuses NaN
    throw std::invalid_argument("percentile: q must lie in [0, 1]");
  if (count_ == 0) return 0;
  // The rank of the sample asked for, 1-based: q = 0 is the smallest, q = 1 the largest.
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    // The bucket's bound can lie above every sample in it; max() is exact and no larger.
    if (seen >= rank) return std::min(bucket_upper(i), max_);
  }
  return max_;  // not reached: the counts add up to count_
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.counts_.size() > counts_.size()) counts_.resize(other.counts_.size());
  for (std::size_t i = 0; i < other.counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

}  // namespace cmbench
