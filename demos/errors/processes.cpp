// errors, processes: a child's exception cannot cross into the parent, so join() raises
// ChildError carrying its text: joined in turn, each failure is one result among the
// others. To stop the siblings, the parent learns which child ended first (each puts its
// number in a shared pipe, a multiprocessing.Queue) and terminate()s the rest: SIGTERM,
// which each child waits for alongside its work (sigtimedwait), so that it can clean up.
#include <csignal>
#include <ctime>
#include <stdexcept>
#include <thread>
#include <vector>

#include "demo.hpp"
#include "models/processes/process.hpp"
#include "spec.hpp"

namespace mp = cmbench::processes;  // import multiprocessing as mp

namespace cmbench::demos::errors {

namespace {

// In a child: waits `wait` units, or less if SIGTERM comes meanwhile: true if it did.
bool terminated_while_waiting(double wait) {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  const auto us = units(wait).count();
  const timespec left{us / 1'000'000, us % 1'000'000 * 1'000};
  return ::sigtimedwait(&term, nullptr, &left) == SIGTERM;
}

int task(int n, double wait, int queue = -1) {
  say("Task {} started", n);
  const bool terminated = terminated_while_waiting(wait);
  if (queue >= 0) mp::write_all(queue, &n, sizeof n);  // queue.put(n): "I have ended"
  if (terminated) {
    say("Task {} cancelled, cleaning up", n);
    throw std::runtime_error("terminated");
  }
  if (n == 1) {
    say("Task 1 raises an error");
    throw std::runtime_error("error in Task 1");
  }
  say("Task {} finished", n);
  return n;
}

// Three children; SIGTERM is blocked in each from its start, for sigtimedwait to take.
std::vector<mp::Process<int>> start_three(int queue = -1) {
  std::vector<mp::Process<int>> children;
  for (int n = 1; n <= 3; ++n)
    children.emplace_back([=] {
      sigset_t term;
      sigemptyset(&term);
      sigaddset(&term, SIGTERM);
      ::sigprocmask(SIG_BLOCK, &term, nullptr);
      return task(n, n, queue);
    });
  return children;
}

}  // namespace

void processes() {
  say("-- errors collected with the results");
  auto children = start_three();
  for (int n = 1; n <= 3; ++n) {
    try {
      say("Task {} -> {}", n, children[n - 1].join());
    } catch (const mp::ChildError& e) {
      say("Task {} -> error: {}", n, e.what());
    }
  }

  say("-- cancel the siblings on the first failure");
  mp::Pipe queue = mp::make_pipe();
  children = start_three(queue.write.get());
  int first = 0;
  mp::read_full(queue.read.get(), &first, sizeof first);  // queue.get(): the first to end
  try {
    children[first - 1].join();
  } catch (const mp::ChildError& e) {
    say("first failure: {}", e.what());
    for (auto& child : children) child.terminate();  // no-op for the one joined
  }
  for (auto& child : children) {
    try {
      if (child.joinable()) child.join();
    } catch (const mp::ChildError&) {  // "terminated", as expected
    }
  }
  say("3 children reaped");
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::errors
