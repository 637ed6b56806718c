#pragma once

#include "models/core/registry.hpp"

namespace cmbench::selftest {
void add_to(Catalog& c);
}
