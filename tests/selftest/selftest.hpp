// selftest: cells that misbehave on purpose (a wrong answer, an exception, a crash, a hang),
// for the tests of the harness and the suite runner. Not a workload: it is built only with
// the tests, and the cmbench binary registers it only when CMBENCH_SELFTEST=1 (cmbench.cpp).
#pragma once

#include "cells/registry.hpp"

namespace cmbench::selftest {

// Adds the selftest workload and its cells (sequential and processes) to the catalog.
void register_cells(Catalog& catalog);

}  // namespace cmbench::selftest
