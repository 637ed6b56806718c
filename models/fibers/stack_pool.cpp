#include "stack_pool.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

namespace cmbench::fibers {
namespace {

constexpr std::size_t slab_target = 1 << 20;
// The canary: the lowest bytes of a stack, left as the kernel gives them (zeros). Writing
// a pattern there would make the bottom page of every stack resident, doubling a parked
// greenlet's RSS (its frames need only the top page); reading zeros costs nothing.
constexpr std::size_t canary_bytes = 64;

bool canary_intact(const char* bottom) {
  for (std::size_t i = 0; i < canary_bytes; ++i)
    if (bottom[i] != 0) return false;
  return true;
}

std::size_t page_size() {
  static const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

// Slabs a closed pool gave back, for the thread's next pool with the same stack size:
// mapping them afresh would fault every stack's page in again at each fibers::run(), where
// the heap keeps freed memory for reuse (the harness sets glibc's trim threshold to 1 GiB).
// Bounded by the same 1 GiB; beyond it slabs are unmapped.
struct SlabCache {
  std::size_t stack_size = 0;
  std::size_t slab_bytes = 0;
  std::vector<void*> slabs;
  ~SlabCache() {
    for (void* s : slabs) munmap(s, slab_bytes);
  }
};
thread_local SlabCache slab_cache;
constexpr std::size_t slab_cache_bytes = std::size_t{1} << 30;

}  // namespace

StackPool::StackPool(std::size_t stack_size, bool guard_pages)
    : size_(stack_size), guard_pages_(guard_pages) {
  const std::size_t page = page_size();
  if (size_ < 2 * page || size_ % page != 0)
    throw std::invalid_argument("fibers: stack_size must be a multiple of " + std::to_string(page) +
                                " bytes and at least two pages, not " + std::to_string(stack_size));
  per_slab_ = std::max<std::size_t>(1, slab_target / size_);
  // Without guard pages the stacks sit a canary's width below page boundaries (add_slab):
  // one page more per slab.
  slab_bytes_ = per_slab_ * size_ + (guard_pages_ ? 0 : page);
}

StackPool::~StackPool() {
  if (outstanding_ > 0) {
    std::fprintf(stderr,
                 "fibers: %zu stacks still in use when their pool closed; their %zu bytes of "
                 "slabs are left mapped\n",
                 outstanding_, mapped_bytes());
    return;
  }
  for (void* s : slabs_) {
    const bool cacheable =
        !guard_pages_ && (slab_cache.slabs.empty() || slab_cache.stack_size == size_);
    if (cacheable && (slab_cache.slabs.size() + 1) * slab_bytes_ <= slab_cache_bytes) {
      slab_cache.stack_size = size_;
      slab_cache.slab_bytes = slab_bytes_;
      slab_cache.slabs.push_back(s);
    } else {
      munmap(s, slab_bytes_);
    }
  }
}

void StackPool::add_slab() {
  void* slab;
  if (!guard_pages_ && !slab_cache.slabs.empty() && slab_cache.stack_size == size_) {
    slab = slab_cache.slabs.back();
    slab_cache.slabs.pop_back();
  } else {
    slab = mmap(nullptr, slab_bytes_, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (slab == MAP_FAILED)
      throw std::system_error(errno, std::generic_category(), "fibers: mapping a stack slab");
  }
  slabs_.push_back(slab);
  // Without guard pages, every stack starts a canary's width below a page boundary: its
  // canary then shares a page with the top of the stack below it, which that stack's
  // greenlet has made resident. Checking it touches no new page (aligned to the page, the
  // check read a page of its own per stack: a fault each, 1.4 µs here, for the zero page).
  // The stack's own top is as far below the next boundary, in the page it shares with
  // the next stack's canary. Guard pages need the page-aligned layout.
  const std::size_t shift = guard_pages_ ? 0 : page_size() - canary_bytes;
  // Handed out from the lowest address up: the free list is a stack, so push in reverse.
  for (std::size_t i = per_slab_; i-- > 0;) {
    char* bottom = static_cast<char*>(slab) + shift + i * size_;
    if (guard_pages_ && mprotect(bottom, page_size(), PROT_NONE) != 0)
      throw std::system_error(errno, std::generic_category(),
                              "fibers: a guard page (vm.max_map_count reached? each guarded "
                              "stack is two mappings)");
    free_.push_back(bottom);
  }
}

boost::context::stack_context StackPool::allocate() {
  if (free_.empty()) add_slab();
  char* bottom = free_.back();
  free_.pop_back();
  ++outstanding_;
  boost::context::stack_context sc;
  sc.size = size_;
  sc.sp = bottom + size_;
  return sc;
}

void StackPool::deallocate(boost::context::stack_context& sc) noexcept {
  char* bottom = static_cast<char*>(sc.sp) - size_;
  if (!guard_pages_ && !canary_intact(bottom)) {
    std::fprintf(stderr,
                 "fibers: a greenlet overflowed its %zu-byte stack (the canary at its bottom "
                 "is overwritten, and so may be the memory below it). Give run() a larger "
                 "RunOptions::stack_size, or set guard_pages to find the culprit.\n",
                 size_);
    std::abort();
  }
  free_.push_back(bottom);
  --outstanding_;
}

}  // namespace cmbench::fibers
