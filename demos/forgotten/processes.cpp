// forgotten, processes: a child that has ended stays in the process table as a zombie
// until its parent waits for it: the kernel keeps its exit status for that wait. Python's
// multiprocessing reaps it in join() (or active_children()); here join() does, and a
// Process destroyed unjoined kills and reaps its child. The demo reads the child's state
// from /proc/<pid>/stat before and after the join.
#include <filesystem>
#include <string>
#include <thread>

#include "demo.hpp"
#include "models/processes/process.hpp"
#include "proc_stat.hpp"
#include "spec.hpp"

namespace mp = cmbench::processes;  // import multiprocessing as mp

namespace cmbench::demos::forgotten {

namespace {

int save_report() {
  say("save_report: runs and exits");
  return 0;
}

}  // namespace

void processes() {
  say("main: starts save_report in a child and does not join it");
  mp::Process<int> child(save_report);
  const pid_t pid = child.pid();
  std::this_thread::sleep_for(units(1));  // main's own work; the child is long over
  say("main: child {} ended but was never joined: state {} in /proc/{}/stat (a zombie)", pid,
      read_proc_stat(pid).value_or(ProcStat{}).state, pid);
  child.join();  // waitpid: the kernel can forget the child now
  const bool gone = !std::filesystem::exists("/proc/" + std::to_string(pid));
  say("main: join() reaped it: /proc/{} {}", pid, gone ? "is gone" : "is still there");
  say("main: done");
}

}  // namespace cmbench::demos::forgotten
