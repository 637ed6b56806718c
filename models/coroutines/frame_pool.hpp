// The coroutine frame allocator. g++ does not elide coroutine frames (no HALO): every call
// of a coroutine allocates its frame, which holds its locals, its promise and, for Task, the
// task's state. By default a frame comes from the global operator new (glibc malloc here).
// With the frame pool switched on for a thread, freed frames go to a per-thread free list
// per size class (16 bytes apart) and the next frame of that class takes one from it,
// without a call into malloc.
//
// Why selectable: the pool is what a tuned runtime would do, the default is what a C++
// program gets; a benchmark that used only one would hide the difference. The cell variant
// `coroutines-pooled` and the micro-benchmarks' `-pooled` rows use the pool; the report
// names which was used.
// Guarantees: switching the pool on or off at any time is safe, even with frames alive
// (every frame is allocated with its size rounded up to its class, whichever way it was
// allocated, so any freed frame fits its class). Frames up to 2 KiB are pooled; larger ones
// always use operator new.
// Not guaranteed: that memory goes back to malloc while the pool is on (call
// trim_frame_pool() or end the thread). A frame freed on another thread joins that
// thread's lists (correct; the memory stays there).
// Under AddressSanitizer or ThreadSanitizer the pool is never used, so that the sanitizers
// see every frame's lifetime.
// Cost: a pooled allocation or free is a few loads and stores; malloc+free of a frame is
// ≈ 8.5–20 ns here, more once the heap is fragmented.
// Thread-safety: all state is per thread.
#pragma once

#include <cstddef>

namespace cmbench::coroutines {

// Switches the frame pool on or off for the calling thread; returns the previous setting.
bool use_frame_pool(bool on) noexcept;
bool frame_pool_in_use() noexcept;
// Returns the calling thread's pooled frames to operator delete.
void trim_frame_pool() noexcept;

// Turns the pool on (or off) for a scope, as a cell run does.
class FramePoolScope {
 public:
  explicit FramePoolScope(bool on) noexcept : previous_(use_frame_pool(on)) {}
  FramePoolScope(const FramePoolScope&) = delete;
  FramePoolScope& operator=(const FramePoolScope&) = delete;
  ~FramePoolScope() { use_frame_pool(previous_); }

 private:
  bool previous_;
};

namespace detail {
void* allocate_frame(std::size_t size);
void free_frame(void* frame, std::size_t size) noexcept;
}  // namespace detail

}  // namespace cmbench::coroutines
