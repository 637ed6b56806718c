// fetch_and_save, processes: multiprocessing.Pool(3).map(download, urls). Each worker is
// a forked process that runs blocking::download_and_save for the URL it is sent and
// returns how many characters it saved; map gives them back in the sites' order.
//
// The pool is made before the origin starts, as Python's documentation advises for fork:
// a child gets only the forking thread, so a lock that the origin's thread held at that
// moment (the trace recorder's, say) would stay locked in the child for ever, and the
// worker hang. So the workers cannot know the port when they are forked: it travels with
// each task.
#include "demo.hpp"
#include "models/processes/pool.hpp"
#include "origin.hpp"
#include "spec.hpp"

namespace mp = cmbench::processes;  // import multiprocessing as mp

namespace cmbench::demos::fetch_and_save {

namespace {

struct Url {  // trivially copyable, to travel through the pool's pipe
  std::uint16_t port;
  Site site;
};

}  // namespace

void processes() {
  const Workdir dir("downloaded_sites");
  mp::Pool pool(unsigned(sites.size()), [&dir](const Url& url) {
    return blocking::download_and_save(url.port, dir, url.site);
  });
  const Origin origin;
  std::vector<Url> urls;
  for (const Site& site : sites) urls.push_back({origin.port(), site});
  pool.map(urls);
  check_saved(dir);
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::fetch_and_save
