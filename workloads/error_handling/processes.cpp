// error_handling, processes: one multiprocessing.Process per task. Collecting joins the
// children in call order: each gives its value, or its exception's text (ChildError).
// Cancelling on the first failure: the children report on a shared pipe (a
// multiprocessing.Queue), the parent waits there for the first failure and terminate()s
// every child, then joins them all.
// terminate() is SIGTERM, which kills a child that does not handle it, skipping its
// `finally:` blocks. So each child handles it, as a Python worker that installs its own
// SIGTERM handler would: it waits with SIGTERM blocked, in sigtimedwait, which returns at
// the signal; it then runs its clean-up and exits normally. SIGTERM is blocked in the parent
// while it forks, so that a child is born with it blocked (a child terminated before it
// could block it would die without its clean-up). The clean-up runs in the child, so it is
// reported through the pipe: one record per task, written by its clean-up.
#include <signal.h>

#include <cerrno>
#include <ctime>

#include "models/processes/pipe.hpp"
#include "models/processes/process.hpp"
#include "spec.hpp"

namespace mp = cmbench::processes;  // as in `import multiprocessing as mp`

namespace cmbench::error_handling {
namespace {

// What a child's clean-up writes on the shared pipe: one write of less than PIPE_BUF
// bytes, so records from many children never interleave.
struct Report {
  std::uint32_t index;
  Ending ending;
  Span span;
};

// What a child's join() returns when the task did not raise.
struct Returned {
  std::int64_t value;
  bool cancelled;
};

// Waits `d`, or until SIGTERM arrives (it is blocked, so it waits to be taken here);
// true if it did.
bool terminated_while_waiting(std::chrono::microseconds d) {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  const std::int64_t deadline = monotonic_ns() + d.count() * 1000;
  for (std::int64_t left = deadline - monotonic_ns(); left > 0; left = deadline - monotonic_ns()) {
    const timespec timeout{static_cast<time_t>(left / 1'000'000'000),
                           static_cast<long>(left % 1'000'000'000)};
    if (sigtimedwait(&term, nullptr, &timeout) == SIGTERM) return true;
    if (errno == EAGAIN) return false;  // the wait is over
  }
  return false;
}

// The task, in the child: its clean-up writes its report, however it ends.
Returned task(const Params& p, std::size_t i, int reports) {
  struct CleanUp {
    Report report;
    int fd;
    ~CleanUp() {
      report.span.end_ns = monotonic_ns();
      mp::write_all(fd, &report, sizeof report);  // a pipe of ours: cannot fail short
    }
  } clean_up{{static_cast<std::uint32_t>(i), Ending::error, {monotonic_ns(), 0}}, reports};
  if (terminated_while_waiting(p.waits[i])) {
    clean_up.report.ending = Ending::cancelled;
    return {0, true};
  }
  const std::int64_t value = finish(p, i);  // raises: the report says error
  clean_up.report.ending = Ending::value;
  return {value, false};
}

// SIGTERM blocked in this thread while alive (the children forked meanwhile inherit it).
class TermBlocked {
 public:
  TermBlocked() {
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &term, &previous_);
  }
  ~TermBlocked() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  TermBlocked(const TermBlocked&) = delete;
  TermBlocked& operator=(const TermBlocked&) = delete;

 private:
  sigset_t previous_;
};

}  // namespace

Result processes(const Params& p) {
  Result r;
  r.tasks.resize(p.waits.size());
  mp::Pipe reports = mp::make_pipe();
  std::vector<mp::Process<Returned>> children;
  children.reserve(p.waits.size());
  {
    TermBlocked blocked;
    for (std::size_t i = 0; i < p.waits.size(); ++i)
      children.emplace_back([&p, i, fd = reports.write.get()] { return task(p, i, fd); });
  }
  reports.write.reset();  // the children hold it now: EOF once they have all exited

  std::vector<Report> received;
  Report report;
  if (p.policy == Policy::cancel_on_first) {
    while (mp::read_full(reports.read.get(), &report, sizeof report) == sizeof report) {
      received.push_back(report);
      if (report.ending == Ending::error) {
        for (auto& child : children) child.terminate();
        break;
      }
    }
  }
  for (std::size_t i = 0; i < children.size(); ++i) {
    TaskRecord& t = r.tasks[i];
    try {
      const Returned got = children[i].join();
      t.ending = got.cancelled ? Ending::cancelled : Ending::value;
      t.value = got.value;
    } catch (const mp::ChildError& e) {
      t.ending = Ending::error;
      t.error = e.what();
      if (p.policy == Policy::collect) r.errors.push_back(e.what());
    }
  }
  // The first failure, as the parent learned it from the queue.
  if (p.policy == Policy::cancel_on_first && !received.empty() &&
      received.back().ending == Ending::error)
    r.errors.push_back(r.tasks[received.back().index].error);
  while (mp::read_full(reports.read.get(), &report, sizeof report) == sizeof report)
    received.push_back(report);
  for (const Report& each : received) {
    TaskRecord& t = r.tasks[each.index];
    t.span = each.span;
    ++t.cleanups;
  }
  return r;
}

}  // namespace cmbench::error_handling
