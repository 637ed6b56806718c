// Rc<T>: a counted reference to an object that holds its own count (a `refs` member), as
// Rust's Rc. std::shared_ptr is Rust's Arc: its count is atomic, so that handles may be
// copied on any thread, at ≈ 5–20 ns per copy or drop here. Deferreds and the lists that
// gather them live on the loop thread, where that guarantee buys nothing, and at 10^6
// Deferreds it cost ≈ 9 ns each: hence a plain integer.
//
// Guarantees: the object is deleted when the last Rc to it goes. A moved-from Rc is empty.
// Not thread-safe: every Rc to one object stays on one thread (an Rc may be *moved* through
// another thread: a move does not touch the count).
#pragma once

#include <cstdint>
#include <utility>

namespace cmbench::callbacks::detail {

template <class T>
class Rc {
 public:
  Rc() noexcept = default;
  explicit Rc(T* p) noexcept : p_(p) {  // counts one more reference to *p
    if (p_) ++p_->refs;
  }
  Rc(const Rc& o) noexcept : Rc(o.p_) {}
  Rc(Rc&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  Rc& operator=(Rc o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~Rc() {
    if (p_ && --p_->refs == 0) destroy(p_);
  }

  template <class... A>
  static Rc make(A&&... a) {
    return Rc(new T(std::forward<A>(a)...));
  }

  T* get() const noexcept { return p_; }
  T* operator->() const noexcept { return p_; }
  T& operator*() const noexcept { return *p_; }

 private:
  // Not inlined: with the delete in sight, g++ 12 warns (-Wuse-after-free) wherever two Rcs
  // to one object die in one function, not knowing that the count keeps it alive.
  [[gnu::noinline]] static void destroy(T* p) noexcept { delete p; }

  T* p_ = nullptr;
};

}  // namespace cmbench::callbacks::detail
