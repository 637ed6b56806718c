// fetch_and_save, processes: multiprocessing.Pool(3).map(download, sites). Each worker is
// a forked process that runs blocking::download_and_save for the site it is sent and
// returns how many characters it saved; map gives them back in the sites' order. The
// origin keeps serving on its thread in this process: the workers are its clients.
#include "demo.hpp"
#include "models/processes/pool.hpp"
#include "origin.hpp"
#include "spec.hpp"

namespace mp = cmbench::processes;  // import multiprocessing as mp

namespace cmbench::demos::fetch_and_save {

void processes() {
  const Origin origin;
  const Workdir dir("downloaded_sites");
  {
    mp::Pool pool(unsigned(sites.size()), [port = origin.port(), &dir](const Site& site) {
      return blocking::download_and_save(port, dir, site);
    });
    pool.map(sites);
  }  // the workers are stopped and reaped
  check_saved(dir);
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::fetch_and_save
