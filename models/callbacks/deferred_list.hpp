// DeferredList and gather_results: waiting for many Deferreds at once (Twisted's DeferredList
// and gatherResults).
//
//   DeferredList list(std::move(ds));   fires once every d has fired, with one
//                                       (success, value-or-failure) pair per d. Never fails.
//   gather_results(std::move(ds))       fires with the values; or, as soon as one d fails,
//                                       fails with that d's Failure.
//
// Results come in the order of `ds` (call order), not in the order the Deferreds fired.
//
// Both take their Deferreds by value and consume their results, as Twisted does with
// consumeErrors=True: a failure the list collected counts as handled, so it is not reported
// again as "Unhandled error in Deferred"; once gather_results has failed, the later failures
// (and values) are dropped silently. gather_results fails with the first failure itself (what
// Twisted gives after unwrapping its FirstError). Another handle on a consumed Deferred holds
// nothing any more: adding a callback through it throws.
//
// Both are written with Deferred's public API only: one add_both per Deferred, whose
// function stores the outcome at its index and fires the list's Deferred on the last one.
//
// Cost: one shared state (the results vector) per list, counted with a plain integer (rc.hpp);
// one link per Deferred, whose captures (the state and an index) fit inside its chain: no
// allocation per Deferred beyond its result slot.
// Thread-safety: as Deferred, the loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "models/callbacks/deferred.hpp"

namespace cmbench::callbacks {

// One Deferred's outcome in a DeferredList: (true, value) or (false, failure).
template <class T>
using ListEntry = std::pair<bool, std::variant<T, Failure>>;

template <class T>
class DeferredList : public Deferred<std::vector<ListEntry<T>>> {
  static_assert(!std::is_void_v<T> && !std::is_same_v<T, Failure>,
                "DeferredList collects values: end each chain with a callback returning one");

 public:
  explicit DeferredList(std::vector<Deferred<T>> deferreds) {
    struct State {
      std::vector<ListEntry<T>> entries;
      std::size_t waiting;
      Deferred<std::vector<ListEntry<T>>> done;
      std::uint32_t refs = 0;
    };
    auto s = detail::Rc<State>::make(
        std::vector<ListEntry<T>>(deferreds.size(), ListEntry<T>{false, Failure()}),
        deferreds.size(), *this);
    // In a trace, the list is a task that collects its Deferreds and waits on them.
    detail::Starting collecting(detail::ChainOf::get(*this), trace::Wait::join);
    if (deferreds.empty()) this->callback(std::vector<ListEntry<T>>{});
    for (std::size_t i = 0; i < deferreds.size(); ++i) {
      deferreds[i].add_both([s, i](auto outcome) {  // a T, or a Failure
        const bool success = !std::is_same_v<decltype(outcome), Failure>;
        s->entries[i] = ListEntry<T>{success, std::move(outcome)};
        if (--s->waiting == 0) s->done.callback(std::move(s->entries));
      });
    }
  }
};

template <class T>
Deferred<std::vector<T>> gather_results(std::vector<Deferred<T>> deferreds) {
  static_assert(!std::is_void_v<T> && !std::is_same_v<T, Failure>,
                "gather_results collects values: end each chain with a callback returning one");
  // Results are stored at their index as they arrive. A default-constructible T goes
  // straight into the final vector; any other waits in an optional and is moved once more.
  constexpr bool direct = std::is_default_constructible_v<T>;
  struct State {
    std::vector<std::conditional_t<direct, T, std::optional<T>>> values;
    std::size_t waiting = 0;
    bool failed = false;
    Deferred<std::vector<T>> done;
    std::uint32_t refs = 0;
  };
  auto s = detail::Rc<State>::make();
  s->values.resize(deferreds.size());
  s->waiting = deferreds.size();
  // In a trace, the gathering is a task that collects its Deferreds and waits on them.
  detail::Starting collecting(detail::ChainOf::get(s->done), trace::Wait::join);
  if (deferreds.empty()) s->done.callback(std::vector<T>{});
  for (std::size_t i = 0; i < deferreds.size(); ++i) {
    // Taken out of the vector: the handle goes while its chain is still in cache, instead of
    // in a second pass over 10^6 chains when the vector dies (≈ 10 ns each, measured).
    Deferred<T> d = std::move(deferreds[i]);
    d.add_both([s, i](auto outcome) {  // a T, or a Failure
      if (s->failed) return;           // the list has failed already: this outcome is dropped
      if constexpr (std::is_same_v<decltype(outcome), Failure>) {
        s->failed = true;
        s->done.errback(std::move(outcome));
      } else {
        s->values[i] = std::move(outcome);
        if (--s->waiting > 0) return;
        if constexpr (direct) {
          s->done.callback(std::move(s->values));
        } else {
          std::vector<T> all;
          all.reserve(s->values.size());
          for (auto& v : s->values) all.push_back(std::move(*v));
          s->values = {};
          s->done.callback(std::move(all));
        }
      }
    });
  }
  return s->done;
}

}  // namespace cmbench::callbacks
