// iwait: greenlets in the order they finish (gevent.iwait), where joinall and get() give
// them in the order they were spawned.
//
//   for (const auto& g : fibers::iwait(greenlets)) use(g.get());   // first done, first given
//
// Each step of the loop blocks the calling greenlet until the next one finishes; those
// already finished come first, in the order given. Leaving the loop early is fine: the
// greenlets go on running, and what iwait set up is killed (without blocking) when the
// loop's IWait goes.
//
// How: one watcher greenlet per greenlet joins it and puts its index on a Queue that the
// loop reads. gevent links a callback to each greenlet instead (rawlink); here a greenlet
// has one on_finish link, which a Pool owns, so iwait uses only what any greenlet offers.
// Guarantees: each greenlet is given exactly once, after it has finished (get() and
// exception() do not block); the loop raises the calling greenlet's interrupts (kill,
// Timeout) like any blocking call. Not guaranteed: an order between greenlets finishing in
// the same turn of the hub other than the order they finished in.
// Cost: a watcher greenlet per greenlet waited for (a stack from the hub's pool, a spawn and
// a join), and a queue item each. Fine for a fan-out; not for 10^5 greenlets.
// Thread-safety: the hub's thread only (the watchers are its greenlets); the greenlets
// waited for may be any of that hub's.
#pragma once

#include <cstddef>
#include <exception>
#include <iterator>
#include <memory>
#include <span>
#include <vector>

#include "models/fibers/greenlet.hpp"
#include "models/fibers/queue.hpp"

namespace cmbench::fibers {

template <class G>
class IWait {
 public:
  explicit IWait(std::span<const G> greenlets)
      : greenlets_(greenlets.begin(), greenlets.end()),
        finished_(std::make_shared<Queue<std::size_t>>()) {
    for (std::size_t i = 0; i < greenlets_.size(); ++i)
      // The watcher holds the queue and a handle of its own, not this object, so it may
      // outlive the loop: killed while already woken, it still finds both alive.
      watchers_.push_back(spawn([finished = finished_, g = greenlets_[i], i] {
        g.join();
        finished->put(i);
      }));
  }
  IWait(const IWait&) = delete;
  IWait& operator=(const IWait&) = delete;
  ~IWait() {
    for (const auto& w : watchers_) w.kill(/*block=*/false);
  }

  class iterator {
   public:
    using value_type = G;
    using difference_type = std::ptrdiff_t;
    const G& operator*() const { return *current_; }
    const G* operator->() const { return current_; }
    iterator& operator++() {
      current_ = owner_->next();
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const noexcept { return current_ == nullptr; }

   private:
    friend class IWait;
    iterator(IWait* owner, const G* current) : owner_(owner), current_(current) {}
    IWait* owner_;
    const G* current_;
  };

  // Blocks until the first greenlet finishes (the loop's first step).
  iterator begin() { return iterator(this, next()); }
  std::default_sentinel_t end() const noexcept { return {}; }

  // The next greenlet to finish, blocking until it has; nullptr once all were given.
  const G* next() {
    if (given_ == greenlets_.size()) return nullptr;
    const std::size_t i = finished_->get();
    ++given_;
    return &greenlets_[i];
  }

 private:
  std::vector<G> greenlets_;  // handles of our own: the caller's vector may change
  std::shared_ptr<Queue<std::size_t>> finished_;
  std::vector<Greenlet<void>> watchers_;
  std::size_t given_ = 0;
};

// gevent.joinall(greenlets, raise_error=True): waits for every greenlet, but raises the
// first failure (first in the order they finish) as soon as it happens. The others go on
// running: kill them (killall) if they must stop. A killed greenlet (GreenletExit) is no
// failure. Cost: iwait's, a watcher greenlet per greenlet.
struct RaiseError {};
inline constexpr RaiseError raise_error{};

template <class G>
std::size_t joinall(std::span<const G> greenlets, RaiseError);
template <class G>
std::size_t joinall(const std::vector<G>& greenlets, RaiseError) {
  return joinall(std::span<const G>(greenlets), raise_error);
}

template <class G>
IWait<G> iwait(std::span<const G> greenlets) {
  return IWait<G>(greenlets);
}
template <class G>
IWait<G> iwait(const std::vector<G>& greenlets) {
  return IWait<G>(std::span<const G>(greenlets));
}

template <class G>
std::size_t joinall(std::span<const G> greenlets, RaiseError) {
  for (const G& g : iwait(greenlets))
    if (!g.successful()) std::rethrow_exception(g.exception());
  return greenlets.size();
}

}  // namespace cmbench::fibers
