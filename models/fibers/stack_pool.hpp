// StackPool: where the hub's greenlets get their stacks. The policy, and why:
//
//  - Size: 16 KiB by default (RunOptions::stack_size). A parked greenlet touches the top one
//    page of it (Boost's control block, its own frames, the switch: ≈ 1.2 KiB deep when
//    parked in a wait), so about 4 KiB of RSS. Boost's default, a malloc'd 128 KiB, leaves
//    about 14 KiB resident.
//  - Slabs: stacks are cut from 1 MiB anonymous mappings (MAP_NORESERVE), 64 at a time
//    with the default size, so 10^5 live greenlets cost a few thousand mappings, far below
//    vm.max_map_count (65 530). A mapping per stack would not be bounded that way, and
//    Boost's protected_fixedsize_stack, with two per stack, runs out at ≈ 32.7 k greenlets.
//  - Reuse: a finished greenlet's stack goes on a free list and is the next one handed
//    out (its pages are still resident and warm), so 10^6 short-lived greenlets never hold
//    more memory than the most that were alive at once. When the hub closes, once every
//    stack has come back, its slabs are kept for the thread's next hub (up to 1 GiB, as
//    the harness has glibc keep freed heap memory) and unmapped beyond that.
//  - Overflow: no guard page by default (each would split a slab's mapping, and bring the
//    map-count limit back). The lowest 64 bytes of each stack are a canary, left zero as
//    mapped (writing a pattern would make every stack's bottom page resident); a stack
//    that comes back with them written is reported and the process aborts, since memory
//    below it has been overwritten too. Stacks start 64 bytes below a page boundary, so
//    that the canary lies in the top page of the stack below, already resident: checking
//    it costs no page fault. RunOptions::guard_pages puts a PROT_NONE page at the
//    bottom of every stack instead (a fault at the overflowing instruction), at two
//    mappings per stack: a debugging aid for fewer than ≈ 30 k greenlets.
//
// Thread-safety: none. A pool belongs to one hub and its thread; Boost returns a stack on
// the thread whose dispatcher releases the finished fiber, which for a hub is its own.
#pragma once

#include <boost/context/stack_context.hpp>
#include <cstddef>
#include <vector>

namespace cmbench::fibers {

class StackPool {
 public:
  StackPool(std::size_t stack_size, bool guard_pages);
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;
  // Gives its slabs back (kept for reuse or unmapped). Stacks still out (a fiber not yet released)
  // make it leak the slabs instead, and say so on stderr: unmapping them would pull a stack from
  // under a fiber.
  ~StackPool();

  boost::context::stack_context allocate();
  void deallocate(boost::context::stack_context& sc) noexcept;

  std::size_t stack_size() const noexcept { return size_; }
  std::size_t outstanding() const noexcept { return outstanding_; }  // stacks in use
  std::size_t mapped_bytes() const noexcept { return slabs_.size() * slab_bytes_; }

  // Boost's StackAllocator concept over a pool, as Boost.Fiber copies it into each fiber.
  class Allocator {
   public:
    explicit Allocator(StackPool& p) noexcept : pool_(&p) {}
    boost::context::stack_context allocate() { return pool_->allocate(); }
    void deallocate(boost::context::stack_context& sc) noexcept { pool_->deallocate(sc); }

   private:
    StackPool* pool_;
  };

 private:
  void add_slab();

  std::size_t size_;
  bool guard_pages_;
  std::size_t per_slab_;
  std::size_t slab_bytes_;
  std::vector<void*> slabs_;
  std::vector<char*> free_;  // stack bottoms, most recently returned last
  std::size_t outstanding_ = 0;
};

}  // namespace cmbench::fibers
