#include "span.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace cmbench {

std::uint64_t peak_overlap(std::span<const Span> spans) {
  // Sweep over the 2n endpoints; at equal times an end (-1) sorts before a start (+1).
  std::vector<std::pair<std::int64_t, int>> events;
  events.reserve(spans.size() * 2);
  for (const auto& s : spans) {
    events.emplace_back(s.start_ns, +1);
    events.emplace_back(s.end_ns, -1);
  }
  std::sort(events.begin(), events.end());
  std::int64_t now = 0, peak = 0;
  for (const auto& e : events) peak = std::max(peak, now += e.second);
  return static_cast<std::uint64_t>(peak);
}

}  // namespace cmbench
