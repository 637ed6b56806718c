// ping_pong: the cost of one hand-off. Two tasks, A and B, pass a token back and forth R
// times through the model's own channel (an asyncio Queue, a Deferred, a Tornado Future, a
// gevent Queue, a condition variable or a semaphore, a pipe): A adds one and hands it to B,
// B adds one and hands it back. A round is A → B → A, two hand-offs; nothing else happens,
// so the time per hand-off is what the channel costs: a wake-up through an event loop, a
// stack switch, or the kernel putting one thread to sleep and waking another.
//
// Parameters: R rounds; place = same (both ends pinned to one CPU) or split (pinned to two
// different CPUs, with sched_setaffinity; the caller's own affinity is restored afterwards).
// With `same`, a hand-off between threads or processes is a context switch on one CPU; with
// `split`, it is a wake-up sent to the other CPU, which must notice it (an inter-processor
// interrupt, and on this VM no halt-polling: 30–40 µs, against 4–5 µs on one CPU). The models
// with one event loop run both ends on one thread, so `same` is their home; for `split`
// they run one loop per end, each on its own pinned thread, and hand the token over with the
// framework's cross-thread call (call_soon_threadsafe, callFromThread, add_callback from
// another thread, the hub's run_callback_threadsafe). The sequential loop and the floors that
// never leave one thread exist only in `same`.
//
// Result: the token's final value, the hand-offs the receiving ends counted, the time of the
// R rounds (measured inside the run: from A's first hand-off to A's last receive; the set-up
// before, such as starting B, is not in it) and the CPU each end ran on (sched_getcpu, at
// its last hand-off). Verified: the token is 2R and 2R hand-offs were counted; with `same`
// both ends ran on the CPU they were given, with `split` on the two different CPUs they
// were given. Reported: ns per hand-off (charted, on a log axis: the models span four orders
// of magnitude) and the CPUs the two ends used.
#pragma once

#include <sched.h>

#include <cstdint>
#include <latch>
#include <thread>
#include <vector>

#include "cells/registry.hpp"

namespace cmbench::ping_pong {

struct Params {
  std::int64_t rounds = 0;
  bool split = false;
  int cpu_a = 0;  // where A runs
  int cpu_b = 0;  // where B runs: cpu_a with `same`, another CPU with `split`
};

struct Result {
  std::int64_t token = 0;       // the token's value after the last round
  std::int64_t handoffs = 0;    // counted by the receiving ends
  std::int64_t elapsed_ns = 0;  // the R rounds, timed by A
  int cpu_a = -1, cpu_b = -1;   // sched_getcpu() of each end at its last hand-off
};

Workload describe();
Params make_params(const ParamValues& v);
Verdict verify(const Params& p, const Result& r, const ModelInfo& m);

// The CPUs this thread may run on, in increasing order (sched_getaffinity).
std::vector<int> allowed_cpus();

// Pins the calling thread to one CPU for its lifetime, then gives it back the affinity it
// had: the harness's thread must not stay pinned after a cell. Throws std::system_error if
// the kernel refuses.
class Pin {
 public:
  explicit Pin(int cpu);
  ~Pin();
  Pin(const Pin&) = delete;
  Pin& operator=(const Pin&) = delete;

 private:
  cpu_set_t saved_;
};

// The CPU the calling thread runs on now.
int current_cpu();

// The two ends on two threads: `b_end(ready)` on a new thread pinned to p.cpu_b, which calls
// ready() once it can take the token; then `a_end()` on the calling thread (already pinned
// to p.cpu_a); then B is joined. What B's set-up costs (a thread, a loop) stays out of A's
// timed rounds.
template <class BEnd, class AEnd>
void on_two_threads(const Params& p, BEnd b_end, AEnd a_end) {
  std::latch ready(1);
  std::jthread b([&] {
    Pin here(p.cpu_b);
    b_end([&ready] { ready.count_down(); });
  });
  ready.wait();
  a_end();
}

// One implementation per model, in workloads/ping_pong/<model>.cpp.
Result sequential(const Params& p);
Result threads(const Params& p);              // a condition variable
Result threads_semaphore(const Params& p);    // two std::binary_semaphore (a futex each)
Result processes(const Params& p);            // two pipes
Result processes_semaphore(const Params& p);  // two POSIX semaphores in shared memory
Result callbacks(const Params& p);
Result futures(const Params& p);
Result coroutines(const Params& p);
Result fibers(const Params& p);

// The floors, in workloads/ping_pong/references/.
Result symmetric_transfer(const Params& p);  // two raw C++20 coroutines
Result fcontext(const Params& p);            // a raw boost::context::fiber switch
Result futex(const Params& p);               // two threads and futex(2)
Result pipe(const Params& p);                // two processes and two pipes

// Adds the workload and every implementation's cells to the catalog (workloads/catalog.cpp).
void register_cells(Catalog& catalog);
// Its Python rows (workloads/ping_pong/python/), called by register_cells.
void register_python(Catalog& catalog);
// Its processes-mpi row (workloads/mpi/launch.hpp): registered by mpi/rows.cpp, run by the
// two ranks of mpi/ranks.cpp in the program cmbench-mpi. `args` are R and the two CPUs;
// rank 0 returns one line, `token handoffs elapsed_ns cpu_a cpu_b`.
void register_mpi(Catalog& catalog);
std::vector<std::vector<std::int64_t>> mpi_ranks(const std::vector<std::int64_t>& args);

}  // namespace cmbench::ping_pong
