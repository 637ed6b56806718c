#include "models/core/accept_pause.hpp"

#include <fmt/core.h>

namespace cmbench {

std::string AcceptPauses::pausing(const std::string& why) {
  ++pauses_;
  const auto now = Clock::now();
  if (pauses_ > 1 && now - said_ < quiet_) {
    ++unsaid_;
    return "";
  }
  said_ = now;
  std::string line = fmt::format("{}: accept failed ({}): not accepting for {} s", who_, why,
                                 accept_pause.count());
  if (unsaid_ > 0) line += fmt::format(" ({} more pauses since the last line)", unsaid_);
  unsaid_ = 0;
  return line;
}

}  // namespace cmbench
