// forgotten, callbacks: Twisted's "Unhandled error in Deferred". save_report's Deferred
// fails, and main dropped it without adding an errback: when the last reference to the
// failed Deferred goes, the failure is logged, since nothing else will ever see it.
#include <stdexcept>

#include "demo.hpp"
#include "models/callbacks/reactor.hpp"
#include "spec.hpp"

namespace cmbench::demos::forgotten {

using namespace cmbench::callbacks;  // from twisted.internet import ...
using cmbench::callbacks::Reactor;

namespace {

Deferred<void> save_report(Reactor& reactor) {
  say("save_report: started");
  return defer_later(reactor, units(1), [] {
    say("save_report: fails with disk full");
    throw std::runtime_error("disk full");
  });
}

}  // namespace

void callbacks() {
  react([](Reactor& reactor) {
    // twisted.logger: where the reactor logs what nobody handled.
    reactor.begin_logging_to([](std::string_view line) { say("log: {}", line); });
    say("main: starts save_report and drops its Deferred (no errback)");
    save_report(reactor);
    return defer_later(reactor, units(2), [] { say("main: done"); });  // main's own work
  });
}

}  // namespace cmbench::demos::forgotten
