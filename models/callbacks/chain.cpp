#include "chain.hpp"

#include <string>
#include <unordered_map>

#include "models/callbacks/deferred.hpp"

namespace cmbench::callbacks::detail {
namespace {

// The free chains of this thread, linked through their own first bytes.
struct FreeChains {
  struct Free {
    Free* next;
  };
  Free* head = nullptr;
  ~FreeChains() {
    while (head) ::operator delete(std::exchange(head, head->next));
  }
};
thread_local FreeChains free_chains;

// Under AddressSanitizer every chain goes back to the allocator, so that a use of a chain
// after its last handle went is caught, not hidden by recycling.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool recycle = false;
#else
constexpr bool recycle = true;
#endif

}  // namespace

void* Chain::operator new(std::size_t size) {
  if (FreeChains::Free* f = free_chains.head; recycle && f) {
    free_chains.head = f->next;
    return f;
  }
  return ::operator new(size);
}

void Chain::operator delete(void* p) noexcept {
  if (!recycle) return ::operator delete(p);
  auto* f = static_cast<FreeChains::Free*>(p);
  f->next = free_chains.head;
  free_chains.head = f;
}

namespace {

// The cancellers of this thread's chains (a chain belongs to its loop's thread).
thread_local std::unordered_map<const Chain*, Canceller> cancellers;

}  // namespace

void set_canceller(Chain& c, Canceller canceller) {
  cancellers[&c] = std::move(canceller);
  c.has_canceller = true;
}

Canceller take_canceller(Chain& c) {
  if (!c.has_canceller) return {};
  c.has_canceller = false;
  auto it = cancellers.find(&c);
  Canceller canceller = std::move(it->second);
  cancellers.erase(it);
  return canceller;
}

Chain::~Chain() {
  if (has_canceller) [[unlikely]]
    take_canceller(*this);  // never called: drop it
  if (traced_) [[unlikely]]
    trace_dropped();
  if (called && failed) report_unhandled(failure);
}

void Chain::trace_created() noexcept {
  traced_ = true;
  trace::created(task_id());
}

// The last handle went while the chain's task had not finished: it never will.
void Chain::trace_dropped() noexcept {
  traced_ = false;
  trace::finished(task_id(), trace::Outcome::cancelled);
}

void Chain::run_traced() {
  if (!called || paused_ || running_) return;  // run_links would do nothing either
  ChainRef keep(this);                         // a link may drop the last handle
  const trace::TaskId me = task_id();
  if (trace::current() != me) trace::woken(me, wake_cause);
  const trace::TaskId previous = switch_to(me);
  run_links();
  if (paused_) {
    trace::suspended(me, trace::Wait::join);  // on the Deferred a callback returned
  } else {
    trace::finished(me, failed ? trace::Outcome::exception : trace::Outcome::ok);
    traced_ = false;  // callbacks added from now on run at once, as their adder's work
  }
  switch_back(me, previous);
}

void Chain::cannot_fire(const std::type_info& t) const {
  if (called) throw AlreadyCalledError("this Deferred has already been fired");
  if (t != *head)
    throw std::logic_error(std::string("fired through a Deferred<") + t.name() +
                           "> handle, but the chain starts with " + head->name());
}

void Chain::tail_mismatch(const std::type_info& t) const {
  if (!tail)
    throw std::logic_error(
        "this Deferred's result was handed on to the Deferred whose callback returned it: it "
        "takes no more callbacks");
  if (t != *tail)
    throw std::logic_error(std::string("a callback added through a Deferred<") + t.name() +
                           "> handle, but the chain now holds " + tail->name() +
                           ": use the handle the last add_* returned (and none after giving "
                           "the Deferred to a DeferredList or gather_results)");
}

void Chain::fire() {
  called = true;
  if (traced_) [[unlikely]]
    return run_traced();
  run_links();
}

void Chain::add_link(Callback l) {
  if (links_ == 0)
    first_link_ = std::move(l);
  else
    more_links_.push_back(std::move(l));
  ++links_;
  run_links();  // a fired chain runs a new link at once
}

// Twisted's _runCallbacks. Each link reads the outcome and leaves the next one; a link whose
// callback returned an unfired Deferred pauses the chain, and a continuation added to that
// Deferred resumes it. The recursion is as deep as Deferreds are nested, not as long as
// chains are.
void Chain::run_links() {
  if (!called || paused_ || running_) return;
  running_ = true;
  ChainRef keep(this);  // a link may drop the last handle on this chain
  while (next_ < links_) {
    Callback l = std::move(link(next_++));  // moved out: a link may add links
    l();
    if (!returned_.get()) continue;
    ChainRef inner = std::move(returned_);
    if (inner->called && !inner->paused_ && !inner->running_) {
      take_outcome_of(*inner.get());  // it has fired already: go on with its result now
      continue;
    }
    paused_ = true;
    inner->add_link([outer = ChainRef(this), in = inner.get()] {
      outer->take_outcome_of(*in);
      outer->paused_ = false;
      if (outer->traced_) [[unlikely]]
        outer->run_traced();  // woken by the Deferred it waited on
      else
        outer->run_links();
    });
    break;
  }
  running_ = false;
  if (next_ == links_) {  // every link ran: start again from the inline one
    links_ = next_ = 0;
    more_links_.clear();
  }
}

void Chain::wait_for(ChainRef inner, const std::type_info& type) noexcept {
  if (inner.get() == this)
    return set_failure(std::logic_error("a callback returned the Deferred it is attached to"));
  if (!inner->tail || *inner->tail != type)
    return set_failure(std::logic_error(
        "a callback returned a Deferred that can no longer take callbacks (its result was "
        "handed on, or a later callback changed its type)"));
  inner->tail = nullptr;  // its result now belongs to this chain
  value.reset();
  set_success();  // no outcome until the inner one fires: nothing to report meanwhile
  returned_ = std::move(inner);
}

void Chain::take_outcome_of(Chain& inner) noexcept {
  value = std::move(inner.value);
  failure = std::move(inner.failure);
  failed = inner.failed;
  inner.failed = false;  // this chain carries the failure on: not unhandled over there
  inner.value.reset();
}

}  // namespace cmbench::callbacks::detail
