// fetch_and_save, sequential: the example without asyncio, as urllib and open() would do
// it. One loop calls blocking::download_and_save (spec.cpp: connect, send, recv until the
// page is whole, write the file) for each page; each fetch blocks the only thread until
// its answer has come, so the waits add up: 1 + 2 + 1 units.
#include "demo.hpp"
#include "origin.hpp"
#include "spec.hpp"

namespace cmbench::demos::fetch_and_save {

void sequential() {
  const Origin origin;
  const Workdir dir("downloaded_sites");
  for (const Site& site : sites) blocking::download_and_save(origin.port(), dir, site);
  check_saved(dir);
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::fetch_and_save
