#include "process_tuning.hpp"

#include <malloc.h>
#include <sys/prctl.h>

namespace cmbench {
namespace {
bool kept = false;
}

void set_timer_slack(long ns) {
  prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(ns), 0, 0, 0);
}

long timer_slack() {
  return prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
}

void keep_freed_memory() {
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  kept = true;
}

bool freed_memory_kept() {
  return kept;
}

}  // namespace cmbench
