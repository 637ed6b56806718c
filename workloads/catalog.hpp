// The catalog of every model, workload and cell this build knows. Built once on first use;
// read-only afterwards, so any thread may read it. With CMBENCH_SELFTEST=1 in the
// environment it also holds the `selftest` workload that the harness tests use.
#pragma once

#include "cells/registry.hpp"

namespace cmbench {

// The catalog of this process, built on first use from the environment.
const Catalog& catalog();

// A fresh catalog, with or without the selftest cells (for the harness tests).
Catalog build_catalog(bool with_selftest);

}  // namespace cmbench
