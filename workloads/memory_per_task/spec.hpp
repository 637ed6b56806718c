// memory_per_task: what a task costs while it waits. N tasks are alive at once, all waiting
// on one event in the model's own idiom (an asyncio Event, a Deferred per waiter, a Future
// they all follow, a gevent Event, a threading.Event, a pipe that the parent closes); once
// every one of them has started waiting, the run reads how much memory the process grew by,
// then sets the event and checks that all N woke and finished.
//
// Parameters: N tasks. Result: the counts and the memory read while all N waited.
// Verified: all N were waiting when the memory was read, and all N finished after the set.
// Reported: bytes_per_task (user-space memory ÷ N), kernel_bytes_per_task for threads and
// processes (kernel stacks and page tables, read system-wide), peak_rss_mib.
//
// Each run happens in a fresh forked process (spec.cpp): the models keep freed memory for
// reuse (stack slabs, chain blocks, future states, glibc's heap), so a second run in the
// same process would find it resident already and show a growth of nearly nothing.
// The sequential model has no version: one task at a time cannot have N waiting at once,
// and a lone task waiting for an event that nobody else can set would never finish.
#pragma once

#include <cstdint>

#include "cells/registry.hpp"

namespace cmbench::memory_per_task {

struct Params {
  std::uint64_t n = 0;
  // For the tests only: the memory reading throws once all N wait, so that a test can see
  // every model release and join its waiting tasks when a run fails at its worst moment.
  bool fail_while_waiting = false;
};

// Trivially copyable: it travels back from the run's own process through a pipe.
struct Result {
  std::uint64_t waiting = 0;        // tasks that had started waiting when the memory was read
  std::uint64_t finished = 0;       // tasks that woke and finished after the event was set
  std::int64_t user_bytes = 0;      // RSS growth (processes: also the children's own pages)
  std::int64_t kernel_bytes = -1;   // KernelStack + PageTables growth, system-wide; -1: not read
  std::int64_t peak_rss_bytes = 0;  // the run's high-water mark (processes: with the children)
};

Workload describe();
Params make_params(const ParamValues& v);
Verdict verify(const Params& p, const Result& r, const ModelInfo& m);

// One implementation per model, in workloads/memory_per_task/<model>.cpp. Each runs in the
// calling process; the cells run them in a fresh one (in_fresh_process in spec.cpp).
Result threads(const Params& p);
Result processes(const Params& p);
Result callbacks(const Params& p);
Result futures(const Params& p);
Result coroutines(const Params& p);
Result fibers(const Params& p);

// The cells' version of a model's run: in a forked child of its own, its Result back by pipe.
Result in_fresh_process(Result (*run)(const Params&), const Params& p);

// Adds the workload and every implementation's cells to the catalog (workloads/catalog.cpp).
void register_cells(Catalog& catalog);

}  // namespace cmbench::memory_per_task
