// spawn_many, processes-mpi: a task is a process started by MPI_Comm_spawn, the MPI way of
// creating processes from a running one, and joined by receiving its result (MPI_Recv) and
// disconnecting from it. Flat: rank 0 spawns the N tasks in one call, as MPI starts
// processes (a job of N ranks; task i is rank i of it and returns i). Skynet: each inner
// node spawns its ten children in one call and sums what they send. Every spawned process
// runs MPI_Init and joins the job's runtime: ≈ 0.1 s of this machine each, so the rows'
// limit (spec.cpp) is a few dozen tasks, not the thousand forks of the processes model.
// Runs in cmbench-mpi (bench/mpi/).
#include <unistd.h>

#include <string>

#include "spawn_many/spec.hpp"
#include "workloads/mpi/rank.hpp"

namespace cmbench::spawn_many {
namespace {

constexpr int result_tag = 0;

std::string this_program() {
  char path[4096];
  const auto n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) throw std::runtime_error("cannot find this program (/proc/self/exe)");
  return std::string(path, static_cast<std::size_t>(n));
}

// Spawns `count` tasks running `args`, and joins them: their results in rank order, and
// the CPU time they (and whatever they spawned) used, added to `cpu_ns`.
std::vector<std::int64_t> spawn(int count, std::vector<std::string> args, std::int64_t& cpu_ns) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<int> errors(static_cast<std::size_t>(count));
  MPI_Comm tasks;
  MPI_Comm_spawn(this_program().c_str(), argv.data(), count, MPI_INFO_NULL, 0, MPI_COMM_SELF,
                 &tasks, errors.data());
  for (int e : errors)
    if (e != MPI_SUCCESS) throw std::runtime_error("MPI_Comm_spawn could not start a task");
  std::vector<std::int64_t> values;
  for (int i = 0; i < count; ++i) {
    const mpi::Message m = mpi::receive(2, i, result_tag, tasks);
    values.push_back(m[0]);
    cpu_ns += m[1];
  }
  MPI_Comm_disconnect(&tasks);
  return values;
}

// A skynet node: number `num` at `depth` levels above the leaves.
std::int64_t skynet(std::int64_t num, std::int64_t depth, std::int64_t& cpu_ns) {
  if (depth == 0) return num;
  std::int64_t sum = 0;
  const std::vector<std::string> args = {"spawn_many", "node", std::to_string(num),
                                         std::to_string(depth - 1)};
  for (auto v : spawn(10, args, cpu_ns)) sum += v;
  return sum;
}

}  // namespace

// args: shape (0 flat, 1 skynet), N, depth. Result lines: flat, task i's value on line i;
// skynet, the root's sum.
std::vector<std::vector<std::int64_t>> mpi_ranks(const std::vector<std::int64_t>& args,
                                                 std::int64_t& tasks_cpu_ns) {
  if (args.size() != 3) throw std::runtime_error("spawn_many takes shape, N and depth");
  if (mpi::size_of(MPI_COMM_WORLD) != 1) throw std::runtime_error("spawn_many needs 1 rank");
  std::vector<mpi::Message> lines;
  if (args[0] == 1) {
    lines.push_back({skynet(0, args[2], tasks_cpu_ns)});
  } else if (args[1] > 0) {
    for (auto v : spawn(static_cast<int>(args[1]), {"spawn_many", "flat"}, tasks_cpu_ns))
      lines.push_back({v});
  }
  return lines;
}

int mpi_task(const std::vector<std::string>& args) {
  MPI_Comm parent;
  MPI_Comm_get_parent(&parent);
  const int rank = mpi::rank_of(MPI_COMM_WORLD);  // i, among the tasks spawned with it
  std::int64_t value = rank, cpu_ns = 0;
  if (args.size() == 4 && args[1] == "node")  // skynet: child i of node `num`
    value = skynet(std::stoll(args[2]) * 10 + rank, std::stoll(args[3]), cpu_ns);
  else if (args.size() != 2 || args[1] != "flat")
    throw std::runtime_error("a spawned task takes `flat` or `node <num> <depth>`");
  mpi::send({value, cpu_ns + mpi::cpu_ns()}, 0, result_tag, parent);
  MPI_Comm_disconnect(&parent);
  return 0;
}

}  // namespace cmbench::spawn_many
