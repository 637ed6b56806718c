#pragma once

#include "cells/registry.hpp"

namespace cmbench::selftest {
void add_to(Catalog& c);
}
