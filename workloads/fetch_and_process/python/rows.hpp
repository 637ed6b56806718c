// fetch_and_process's Python rows: what a row's program is handed and what is read back from
// it (rows.cpp), declared for the tests that run a row against an origin of their own.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "fetch_and_process/spec.hpp"
#include "workloads/python/rows.hpp"

namespace cmbench::fetch_and_process::python_rows {

// The kernel's rounds that take about `c` of CPU in the rows' interpreter (measured once per
// process).
std::uint64_t rounds_for(std::chrono::microseconds c);
// The row's parameters: the origin's port, the pipeline's shape, the timeout and the rounds.
std::string args(const Params& p);
// What a row handed back; throws std::runtime_error on a malformed line.
Result read(const python::Output& out);

}  // namespace cmbench::fetch_and_process::python_rows
