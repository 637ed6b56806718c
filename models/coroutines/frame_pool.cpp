#include "models/coroutines/frame_pool.hpp"

#include <array>
#include <new>

namespace cmbench::coroutines {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool pool_allowed = false;
#else
constexpr bool pool_allowed = true;
#endif

constexpr std::size_t granule = 16;
constexpr std::size_t largest = 2048;
constexpr std::size_t classes = largest / granule + 1;

struct Free {
  Free* next;
};

// One thread's lists. The destructor runs at thread exit and gives everything back.
struct Pool {
  bool on = false;
  std::array<Free*, classes> lists{};

  void trim() noexcept {
    for (std::size_t c = 0; c < classes; ++c) {
      while (Free* f = lists[c]) {
        lists[c] = f->next;
        ::operator delete(f, c* granule);
      }
    }
  }
  ~Pool() {
    on = false;  // frames freed later in this thread's exit go straight to operator delete
    trim();
  }
};

thread_local Pool pool;

constexpr std::size_t class_of(std::size_t size) noexcept {
  return (size + granule - 1) / granule;
}

}  // namespace

bool use_frame_pool(bool on) noexcept {
  bool previous = pool.on;
  pool.on = on && pool_allowed;
  return previous;
}

bool frame_pool_in_use() noexcept {
  return pool.on;
}

void trim_frame_pool() noexcept {
  pool.trim();
}

namespace detail {

void* allocate_frame(std::size_t size) {
  if (size > largest) return ::operator new(size);
  std::size_t c = class_of(size);
  if (pool.on) {
    if (Free* f = pool.lists[c]) {
      pool.lists[c] = f->next;
      return f;
    }
  }
  return ::operator new(c* granule);
}

void free_frame(void* frame, std::size_t size) noexcept {
  if (size > largest) return ::operator delete(frame, size);
  std::size_t c = class_of(size);
  if (pool.on) {
    auto* f = static_cast<Free*>(frame);
    f->next = pool.lists[c];
    pool.lists[c] = f;
    return;
  }
  ::operator delete(frame, c* granule);
}

}  // namespace detail
}  // namespace cmbench::coroutines
