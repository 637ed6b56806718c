// http_fetch's Python rows: what a row's program is handed and what is read back from it
// (rows.cpp), declared for the tests that run a row against an origin of their own.
#pragma once

#include <string>

#include "http_fetch/spec.hpp"
#include "workloads/python/rows.hpp"

namespace cmbench::http_fetch::python_rows {

// The row's parameters: the origin's port, N, M and the timeout of one fetch.
std::string args(const Params& p);
// The pages a row handed back, digested here; throws std::runtime_error on a malformed line.
Result read(const python::Output& out);

}  // namespace cmbench::http_fetch::python_rows
