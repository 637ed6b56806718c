// A rank's side of the processes-mpi rows (launch.hpp has the protocol): what every
// workload's ranks (workloads/<workload>/mpi/ranks.cpp) share in the program cmbench-mpi.
// Only rank 0 talks to the suite: mpirun forwards its stdin to rank 0 alone, and rank 0 is
// the only rank that writes to stdout.
// Cost: each call here is one MPI call or one system call; wait_for_go() adds up to ≈ 0.1 ms
// of polling to the start of a run on ranks other than 0.
#pragma once

#include <mpi.h>
#include <sys/resource.h>
#include <time.h>

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace cmbench::mpi {

// A message of a few integers, as MPI sends it.
using Message = std::vector<std::int64_t>;

inline int rank_of(MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  return rank;
}

inline int size_of(MPI_Comm comm) {
  int size = 0;
  MPI_Comm_size(comm, &size);
  return size;
}

inline void send(const Message& m, int to, int tag, MPI_Comm comm) {
  MPI_Send(m.data(), static_cast<int>(m.size()), MPI_INT64_T, to, tag, comm);
}

// Receives `count` integers from `from` (MPI_ANY_SOURCE, MPI_ANY_TAG allowed); `tag`, if
// given, gets the message's tag.
inline Message receive(std::size_t count, int from, int tag, MPI_Comm comm,
                       int* got_tag = nullptr) {
  Message m(count);
  MPI_Status status;
  MPI_Recv(m.data(), static_cast<int>(count), MPI_INT64_T, from, tag, comm, &status);
  if (got_tag) *got_tag = status.MPI_TAG;
  return m;
}

// This process's CPU time so far, all its threads (Open MPI runs a few of its own).
inline std::int64_t cpu_ns() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto ns = [](const timeval& t) { return t.tv_sec * 1'000'000'000LL + t.tv_usec * 1'000LL; };
  return ns(u.ru_utime) + ns(u.ru_stime);
}

// One line to the suite, written at once (rank 0 only).
inline void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

// Rank 0 reads "go" and tells the others; false if the suite closed stdin instead (it did
// not want this run). Ranks other than 0 wait for the word with a non-blocking broadcast
// polled every 50 µs: a blocking MPI call spins, and would take a CPU from the suite
// between runs.
inline bool wait_for_go() {
  int go = 0;
  if (rank_of(MPI_COMM_WORLD) == 0) {
    char line[16] = {};
    go = std::fgets(line, sizeof line, stdin) && std::string(line) == "go\n";
  }
  MPI_Request request;
  MPI_Ibcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD, &request);
  for (int done = 0;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return go != 0;
    const timespec pause{0, 50'000};
    nanosleep(&pause, nullptr);
  }
}

}  // namespace cmbench::mpi
