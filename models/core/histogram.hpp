// LatencyHistogram: counts of non-negative integer values (nanoseconds, here) in log-linear
// buckets, as HdrHistogram keeps them, for percentiles over millions of samples in fixed
// memory.
//
// Layout: values below 128 have a bucket each (exact). Above, every power of two [2^m,
// 2^(m+1)) is cut into 64 equal sub-buckets of width 2^(m-6): with shift = msb(v) - 6,
//   index(v) = (shift + 1) * 64 + (v >> shift) - 64
// which continues the exact range without a gap (128..255 land in 128..191, and so on).
// Every value of a uint64_t has a bucket; there are 3 776 in all.
//
// Guarantees: count(), min(), max() and mean() are exact. percentile(q) returns the upper
// bound of the bucket holding the sample of rank ⌈q·count⌉ (capped at max()), so it is
// never below the true percentile and at most 1/64 (1.6 %) above it; below 128 it is
// exact. Not guaranteed: anything about values recorded since a percentile was read
// (there are no snapshots).
// Cost: record() is a bit scan, an index and an increment (a few ns; the bucket array grows
// to the largest index seen, ≤ 30 KiB); percentile() walks the buckets (≤ 3 776 steps).
// Thread-safety: none. Each thread keeps its own histogram; merge() them afterwards.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace cmbench {

class LatencyHistogram {
 public:
  static constexpr int sub_bucket_bits = 6;  // 64 sub-buckets per power of two
  static constexpr std::uint64_t exact_below = 2u << sub_bucket_bits;  // 128

  // The bucket a value falls in.
  static constexpr std::size_t bucket_index(std::uint64_t v) {
    if (v < exact_below) return static_cast<std::size_t>(v);
    int shift = std::bit_width(v) - 1 - sub_bucket_bits;
    return (static_cast<std::size_t>(shift) + 1) * 64 + static_cast<std::size_t>(v >> shift) - 64;
  }
  // The largest value bucket `i` holds.
  static constexpr std::uint64_t bucket_upper(std::size_t i) {
    if (i < exact_below) return i;
    std::size_t shift = i / 64 - 1;
    std::uint64_t sub = i % 64 + 64;  // the value's top seven bits
    // Written as a sum: (sub + 1) << shift overflows for the very last bucket.
    return (sub << shift) + ((std::uint64_t{1} << shift) - 1);
  }
  // 128 exact buckets, then 64 for each of the 57 powers of two from 2^7 to 2^63.
  static constexpr std::size_t bucket_count = (64 - sub_bucket_bits + 1) * 64;

  void record(std::uint64_t v) {
    std::size_t i = bucket_index(v);
    if (i >= counts_.size()) counts_.resize(i + 1);
    ++counts_[i];
    ++count_;
    sum_ += v;
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }

  // The value below which a fraction q (0 ≤ q ≤ 1) of the samples lie, as described above;
  // 0 when empty. Throws std::invalid_argument for q outside [0, 1].
  std::uint64_t percentile(double q) const;

  // Adds another histogram's samples to this one.
  void merge(const LatencyHistogram& other);
  void clear() { *this = LatencyHistogram(); }

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ ? min_ : 0; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }

 private:
  std::vector<std::uint64_t> counts_;  // counts_[bucket_index(v)]; only up to the largest seen
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;  // wraps after 584 years of summed nanoseconds
  std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max_ = 0;
};

static_assert(LatencyHistogram::bucket_index(std::numeric_limits<std::uint64_t>::max()) + 1 ==
              LatencyHistogram::bucket_count);

}  // namespace cmbench
