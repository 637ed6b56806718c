// forgotten, fibers: gevent's hub prints a greenlet's exception when it dies. main spawns
// save_report and never joins it; the greenlet fails while nobody waits for it, and the hub
// reports it ("<Greenlet at 0x…> failed with …"). The exception is still kept for a get()
// that never comes.
#include <stdexcept>

#include "demo.hpp"
#include "models/fibers/fibers.hpp"
#include "spec.hpp"

namespace cmbench::demos::forgotten {

namespace {

void save_report() {
  say("save_report: started");
  cmbench::fibers::sleep(units(1));
  say("save_report: raises disk full");
  throw std::runtime_error("disk full");
}

}  // namespace

void fibers() {
  namespace gevent = cmbench::fibers;
  auto previous =
      gevent::set_greenlet_error_handler([](std::string_view line) { say("hub: {}", line); });
  gevent::run([] {
    say("main: spawns save_report and never joins it");
    gevent::spawn(save_report);
    gevent::sleep(units(2));  // main's own work
    say("main: done");
  });
  gevent::set_greenlet_error_handler(std::move(previous));
}

}  // namespace cmbench::demos::forgotten
