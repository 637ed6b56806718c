// fetch_and_save, coroutines: the tutorial's aiohttp + aiofiles version, with asyncio's
// streams for the HTTP: open_connection, write the GET and drain, read what arrives until
// the page is whole; then the page is saved the aiofiles way, on a pool thread
// (to_thread). gather() runs the three downloads as tasks on one thread: while one waits
// for its answer, the others go on.
#include "demo.hpp"
#include "models/coroutines/event_loop.hpp"
#include "models/coroutines/gather.hpp"
#include "models/coroutines/open_connection.hpp"
#include "models/coroutines/to_thread.hpp"
#include "origin.hpp"
#include "spec.hpp"

namespace cmbench::demos::fetch_and_save {

namespace {

namespace asyncio = cmbench::coroutines;

asyncio::Task<std::size_t> download_and_save(std::uint16_t port, const Workdir& dir, Site site) {
  say("fetching {}", url(port, site));
  auto [reader, writer] = co_await asyncio::open_connection(port);
  writer.write(request(site));
  co_await writer.drain();
  Download page(port, site);
  for (bool whole = false; !whole;) {
    std::string data = co_await reader.read(64 * 1024);  // what has arrived ("" at the end)
    whole = page.feed(data);
  }
  writer.close();
  co_await writer.wait_closed();
  // async with aiofiles.open(file, 'w') as f: await f.write(text). A named awaitable: g++ 12
  // destroys a temporary owning a std::string twice when its co_await suspends.
  auto saving = asyncio::to_thread([&dir, site, text = page.text()] { save(dir, site, text); });
  co_await saving;
  downloaded(site, page.text().size());
  co_return page.text().size();
}

asyncio::Task<void> process_sites(std::uint16_t port, const Workdir& dir) {
  std::vector<asyncio::Task<std::size_t>> tasks;
  for (const Site& site : sites) tasks.push_back(download_and_save(port, dir, site));
  co_await asyncio::gather(std::move(tasks));
}

}  // namespace

void coroutines() {
  const Origin origin;
  const Workdir dir("downloaded_sites");
  asyncio::run(process_sites(origin.port(), dir));
  check_saved(dir);
  say("total {:.2f} s", elapsed_s());
}

}  // namespace cmbench::demos::fetch_and_save
