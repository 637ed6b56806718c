// forgotten, futures: Tornado's "Future exception was never retrieved". save_report returns
// a future that fails; main never yields it nor asks for its result. When the last
// reference to that future goes, the exception nobody retrieved is logged.
#include <stdexcept>

#include "demo.hpp"
#include "models/futures/io_loop.hpp"
#include "spec.hpp"

namespace cmbench::demos::forgotten {

namespace {

using cmbench::futures::Future;

Future<void> save_report() {
  say("save_report: started");
  return cmbench::futures::sleep(units(1)).then([] {
    say("save_report: fails with disk full");
    throw std::runtime_error("disk full");
  });
}

}  // namespace

void futures() {
  namespace tornado = cmbench::futures;
  auto previous = tornado::set_unretrieved_exception_handler([](const std::exception_ptr& e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      say("log: Future exception was never retrieved: {}", x.what());
    }
  });
  tornado::IOLoop::current().run_sync([] {
    say("main: calls save_report() and drops its future");
    save_report();
    return tornado::sleep(units(2)).then([] { say("main: done"); });  // main's own work
  });
  tornado::set_unretrieved_exception_handler(std::move(previous));
}

}  // namespace cmbench::demos::forgotten
