// Callback: a move-only `void()` callable with inline storage, the unit of work of the
// reactor's ready queue and timers.
//
// Why not std::function: it must be copyable (so it cannot hold a move-only capture such as
// a promise), and its small-buffer size is 16 bytes in libstdc++, so a lambda capturing
// three pointers allocates. A Callback stores callables of up to 32 bytes (four pointers)
// inline, allocates only for larger ones, and costs one indirect call to invoke.
// Guarantees: invoking an empty Callback is a logic error checked by `explicit operator
// bool` at the call sites that may see one. Not thread-safe (a value type).
// Cost: a move of a trivially copyable callable is a 32-byte copy; invoking is one
// indirect call; a callable over 32 bytes adds a malloc+free (≈ 8.5 ns here).
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
      // Bytes the callable does not use are zeroed, so that a move may copy all of them
      // (a fixed-size copy the compiler inlines) without reading indeterminate memory.
      if constexpr (sizeof(D) < inline_size) __builtin_memset(storage_, 0, inline_size);
      ::new (static_cast<void*>(storage_)) D(std::forward<F>(f));
      ops_ = &inline_ops<D>;
    } else {
      __builtin_memset(storage_, 0, inline_size);
      *reinterpret_cast<D**>(storage_) = new D(std::forward<F>(f));
      ops_ = &heap_ops<D>;
    }
  }

  Callback(Callback&& o) noexcept : ops_(o.ops_) { take(o); }
  Callback& operator=(Callback&& o) noexcept {
    if (this != &o) {
      reset();
      ops_ = o.ops_;
      take(o);
    }
    return *this;
  }
  Callback(const Callback&) = delete;
  Callback& operator=(const Callback&) = delete;
  ~Callback() { reset(); }

  void operator()() { ops_->invoke(storage_); }
  explicit operator bool() const noexcept { return ops_ != nullptr; }

  // The callable, if it is a D stored inline, else null (std::function::target): lets the
  // loop's owner recognise its own callbacks in the ready queue without running them.
  template <class D>
  D* target() noexcept {
    if constexpr (fits<D>) {
      if (ops_ == &inline_ops<D>) return std::launder(reinterpret_cast<D*>(storage_));
    }
    return nullptr;
  }

  void reset() noexcept {
    if (ops_ && ops_->destroy) ops_->destroy(storage_);
    ops_ = nullptr;
  }

 private:
  // A null move or destroy means "trivial": the bytes are copied, nothing is destroyed.
  // Most callbacks are lambdas capturing a few pointers, so moving one through the ready
  // queue costs a 32-byte copy rather than an indirect call.
  struct Ops {
    void (*invoke)(void*);
    void (*move)(void* to, void* from) noexcept;  // move-constructs into `to`, destroys `from`
    void (*destroy)(void*) noexcept;
  };

  void take(Callback& o) noexcept {
    if (ops_ && ops_->move) {
      ops_->move(storage_, o.storage_);
    } else if (ops_) {
      __builtin_memcpy(storage_, o.storage_, inline_size);
    }
    o.ops_ = nullptr;
  }

  template <class D>
  static constexpr bool fits =
      sizeof(D) <= inline_size &&
      alignof(D) <= alignof(void*) && std::is_nothrow_move_constructible_v<D>;

  template <class D>
  static constexpr Ops inline_ops = {
      [](void* s) { (*static_cast<D*>(s))(); },
      std::is_trivially_copyable_v<D> ? nullptr
                                      : +[](void* to, void* from) noexcept {
                                          ::new (to) D(std::move(*static_cast<D*>(from)));
                                          static_cast<D*>(from)->~D();
                                        },
      std::is_trivially_destructible_v<D> ? nullptr
                                          : +[](void* s) noexcept { static_cast<D*>(s)->~D(); },
  };
  template <class D>
  static constexpr Ops heap_ops = {
      [](void* s) { (**static_cast<D**>(s))(); },
      nullptr,  // the pointer is copied
      [](void* s) noexcept { delete *static_cast<D**>(s); },
  };

  alignas(void*) std::byte storage_[inline_size];  // 8-aligned: a Callback is 40 bytes
  const Ops* ops_ = nullptr;
};

}  // namespace cmbench
