// The catalog of every model, workload and cell this build knows. Built once on first use;
// read-only afterwards, so any thread may read it.
#pragma once

#include "cells/registry.hpp"

namespace cmbench {

// The catalog of this process, built on first use.
const Catalog& catalog();

// A fresh catalog: every model, then every workload with its cells (each workload's
// register_cells, at the end of its spec.cpp).
Catalog build_catalog();

}  // namespace cmbench
