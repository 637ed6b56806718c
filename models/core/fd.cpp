#include "fd.hpp"

#include <unistd.h>

namespace cmbench {

void Fd::reset() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace cmbench
