// RingQueue<T>: a FIFO on a power-of-two ring buffer that grows by doubling and never
// shrinks: the reactor's ready queue. push_back and pop_front are a few instructions and
// no allocation once the ring is large enough (std::deque allocates a block per 512 bytes).
// Not thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

namespace cmbench {

template <class T>
class RingQueue {
 public:
  RingQueue() = default;
  RingQueue(const RingQueue&) = delete;
  RingQueue& operator=(const RingQueue&) = delete;
  ~RingQueue() {
    while (!empty()) pop_front();
  }

  bool empty() const noexcept { return head_ == tail_; }
  std::size_t size() const noexcept { return tail_ - head_; }

  void push_back(T value) { emplace_back(std::move(value)); }

  // Inlined at every call site: the hot path is a compare, a construction and an
  // increment; growing, rare, stays out of line.
  template <class... Args>
  [[gnu::always_inline]] inline void emplace_back(Args&&... args) {
    if (size() == capacity_) [[unlikely]]
      grow();
    ::new (static_cast<void*>(slot(tail_))) T(std::forward<Args>(args)...);
    ++tail_;
  }

  T& front() noexcept { return *slot(head_); }
  void drop_front() noexcept {
    slot(head_)->~T();
    ++head_;
  }
  void swap(RingQueue& o) noexcept {
    std::swap(buffer_, o.buffer_);
    std::swap(capacity_, o.capacity_);
    std::swap(head_, o.head_);
    std::swap(tail_, o.tail_);
  }

  T pop_front() {
    T* p = slot(head_);
    T value(std::move(*p));
    p->~T();
    ++head_;
    return value;
  }

 private:
  T* slot(std::size_t i) noexcept {
    return reinterpret_cast<T*>(buffer_.get()) + (i & (capacity_ - 1));
  }

  [[gnu::noinline, gnu::cold]] void grow() {
    std::size_t bigger = capacity_ ? capacity_ * 2 : 64;
    auto fresh = std::make_unique<Storage[]>(bigger);
    T* to = reinterpret_cast<T*>(fresh.get());
    std::size_t n = size();
    for (std::size_t i = 0; i < n; ++i) {
      T* from = slot(head_ + i);
      ::new (static_cast<void*>(to + i)) T(std::move(*from));
      from->~T();
    }
    buffer_ = std::move(fresh);
    capacity_ = bigger;
    head_ = 0;
    tail_ = n;
  }

  struct Storage {
    alignas(T) std::byte bytes[sizeof(T)];
  };
  std::unique_ptr<Storage[]> buffer_;
  std::size_t capacity_ = 0;         // a power of two
  std::size_t head_ = 0, tail_ = 0;  // monotonic indices; the slot is index & (capacity_ - 1)
};

}  // namespace cmbench
