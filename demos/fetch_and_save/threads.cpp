// fetch_and_save, threads: a thread per URL, as ThreadPoolExecutor().map(download, sites)
// runs them (std::async with launch::async is a thread each; its future brings the
// thread's exception back). The same blocking::download_and_save as the sequential
// version: each fetch blocks only its own thread, so the three waits overlap.
#include <future>
#include <vector>

#include "demo.hpp"
#include "origin.hpp"
#include "spec.hpp"

namespace cmbench::demos::fetch_and_save {

void threads() {
  const Origin origin;
  const Workdir dir("downloaded_sites");
  {
    std::vector<std::future<std::size_t>> fetches;
    for (const Site& site : sites)
      fetches.push_back(std::async(std::launch::async, blocking::download_and_save, origin.port(),
                                   std::cref(dir), site));
    for (auto& fetch : fetches) fetch.get();  // a thread's exception is raised here
  }
  check_saved(dir);
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::fetch_and_save
