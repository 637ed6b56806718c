// Callback: a move-only `void()` callable with inline storage, the unit of work of the
// reactor's ready queue and timers.
//
// Why not std::function: it must be copyable (so it cannot hold a move-only capture such as
// a promise), and its small-buffer size is 16 bytes in libstdc++, so a lambda capturing
// three pointers allocates. A Callback stores callables of up to 32 bytes (four pointers)
// inline, allocates only for larger ones, and costs one indirect call to invoke.
// Guarantees: invoking an empty Callback is a logic error checked by `explicit operator
// bool` at the call sites that may see one. Not thread-safe (a value type).
// Cost here: construct + invoke + destroy of a small lambda ≈ 2–3 ns; a large one adds a
// malloc+free (≈ 8.5 ns).
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace cmbench {

class Callback {
 public:
  static constexpr std::size_t inline_size = 32;

  Callback() noexcept = default;
  Callback(std::nullptr_t) noexcept {}

  template <class F, class D = std::decay_t<F>>
  requires(!std::is_same_v<D, Callback> && std::is_invocable_r_v<void, D&>)
      Callback(F&& f) {  // NOLINT(google-explicit-constructor): a callable converts implicitly
    if constexpr (fits<D>) {
      ::new (static_cast<void*>(storage_)) D(std::forward<F>(f));
      ops_ = &inline_ops<D>;
    } else {
      *reinterpret_cast<D**>(storage_) = new D(std::forward<F>(f));
      ops_ = &heap_ops<D>;
    }
  }

  Callback(Callback&& o) noexcept : ops_(o.ops_) {
    if (ops_) ops_->move(storage_, o.storage_);
    o.ops_ = nullptr;
  }
  Callback& operator=(Callback&& o) noexcept {
    if (this != &o) {
      reset();
      ops_ = o.ops_;
      if (ops_) ops_->move(storage_, o.storage_);
      o.ops_ = nullptr;
    }
    return *this;
  }
  Callback(const Callback&) = delete;
  Callback& operator=(const Callback&) = delete;
  ~Callback() { reset(); }

  void operator()() { ops_->invoke(storage_); }
  explicit operator bool() const noexcept { return ops_ != nullptr; }

  void reset() noexcept {
    if (ops_) ops_->destroy(storage_);
    ops_ = nullptr;
  }

 private:
  struct Ops {
    void (*invoke)(void*);
    void (*move)(void* to, void* from) noexcept;  // move-constructs into `to`, destroys `from`
    void (*destroy)(void*) noexcept;
  };

  template <class D>
  static constexpr bool fits =
      sizeof(D) <= inline_size &&
      alignof(D) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<D>;

  template <class D>
  static constexpr Ops inline_ops = {
      [](void* s) { (*static_cast<D*>(s))(); },
      [](void* to, void* from) noexcept {
        ::new (to) D(std::move(*static_cast<D*>(from)));
        static_cast<D*>(from)->~D();
      },
      [](void* s) noexcept { static_cast<D*>(s)->~D(); },
  };
  template <class D>
  static constexpr Ops heap_ops = {
      [](void* s) { (**static_cast<D**>(s))(); },
      [](void* to, void* from) noexcept { *static_cast<D**>(to) = *static_cast<D**>(from); },
      [](void* s) noexcept { delete *static_cast<D**>(s); },
  };

  alignas(std::max_align_t) std::byte storage_[inline_size];
  const Ops* ops_ = nullptr;
};

}  // namespace cmbench
