// fetch_and_save, fibers: gevent's version. The download reads like the blocking one
// (connect, sendall, recv until the page is whole), but each call that would block parks
// the greenlet on the hub, which runs the others meanwhile; the page is saved through
// gevent's threadpool-backed file object, since a plain write to a file never yields.
// spawn a greenlet per site, joinall: one thread, three connections at once.
#include "models/fibers/fibers.hpp"
#include "demo.hpp"
#include "origin.hpp"
#include "spec.hpp"

namespace cmbench::demos::fetch_and_save {

namespace {

namespace gevent = cmbench::fibers;

std::size_t download_and_save(std::uint16_t port, const Workdir& dir, const Site& site) {
  say("fetching {}", url(port, site));
  gevent::Socket sock = gevent::Socket::connect(port);
  sock.sendall(request(site));
  Download page(port, site);
  while (!page.commit(sock.recv(page.buffer()))) {
  }
  sock.close();
  gevent::write_file(dir / file_name(site), page.text());  // FileObjectThread: parks
  downloaded(site, page.text().size());
  return page.text().size();
}

}  // namespace

void fibers() {
  const Origin origin;
  const Workdir dir("downloaded_sites");
  gevent::run([&] {
    std::vector<gevent::Greenlet<std::size_t>> jobs;
    for (const Site& site : sites)
      jobs.push_back(
          gevent::spawn([&, site] { return download_and_save(origin.port(), dir, site); }));
    gevent::joinall(jobs);
    for (auto& job : jobs) job.get();  // a greenlet's exception is raised here
  });
  check_saved(dir);
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::fetch_and_save
