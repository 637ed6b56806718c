// forgotten, threads: a std::thread that is still joinable when it is destroyed calls
// std::terminate, and the whole program dies: C++ turns the forgotten join() into a crash
// rather than leave a thread running with nobody to wait for it. The crash is shown in a
// forked child, so that only the child dies; then std::jthread, which joins on its own.
#include <sys/resource.h>

#include <thread>

#include "demo.hpp"
#include "models/processes/process.hpp"
#include "spec.hpp"

namespace cmbench::demos::forgotten {

namespace {

void save_report() {
  say("save_report: started");
  std::this_thread::sleep_for(units(1));
  say("save_report: finished");
}

}  // namespace

void threads() {
  say("main: forks a child to make the mistake in (it ends the whole process)");
  cmbench::processes::Process<int> child([] {
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);  // the abort below needs no core dump
    std::thread worker(save_report);
    std::this_thread::sleep_for(units(0.5));  // the child's own work
    say("child: returns without worker.join()");
    return 0;  // ~thread() of a joinable thread: std::terminate, then abort()
  });
  try {
    child.join();
    say("main: the child ended normally");
  } catch (const cmbench::processes::ChildError& e) {
    say("main: {}: SIGABRT, from std::terminate", e.what());
  }
  say("main: std::jthread joins when it goes out of scope");
  { std::jthread worker(save_report); }  // waits here for save_report to finish
  say("main: done");
}

}  // namespace cmbench::demos::forgotten
