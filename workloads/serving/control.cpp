#include "control.hpp"

namespace cmbench::serving {

Control::Serving Control::serving(std::uint16_t port, std::function<void()> stop) {
  std::lock_guard lock(mutex_);
  port_ = port;
  stop_ = std::move(stop);
  changed_.notify_all();
  return Serving(this);
}

Control::Serving::~Serving() {
  if (!c_) return;
  std::lock_guard lock(c_->mutex_);  // waits for a stop() in progress
  c_->stop_ = nullptr;
}

void Control::ended() {
  std::lock_guard lock(mutex_);
  ended_ = true;
  stop_ = nullptr;
  changed_.notify_all();
}

std::optional<std::uint16_t> Control::wait_serving() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return port_ || ended_; });
  return port_;
}

void Control::stop() {
  std::lock_guard lock(mutex_);
  if (auto stop = std::exchange(stop_, nullptr)) stop();
}

}  // namespace cmbench::serving
