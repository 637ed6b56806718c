// fetch_and_save: the tutorials' aiohttp + aiofiles example. Three pages are fetched from
// a web server and each is saved to a file: news, docs and blog, whose answers take 1, 2
// and 1 units. One after another the fetches take 1 + 2 + 1 = 4 units; concurrently their
// waits overlap and the slowest page sets the total: 2 units.
//
// The server is the demo's own origin (origin.hpp): 127.0.0.1 only, on a thread of the
// demo's process, started and stopped by each model's demo. The pages' files go to a fresh
// temporary directory (workdir.hpp), removed however the demo ends.
//
// Every model's demo says, for each page:
//   "fetching http://127.0.0.1:PORT/news" as its request goes out,
//   "Downloaded news.html: N characters" once the page is saved;
// then checks the saved files (check_saved: each is exactly its page, or it throws) and
// says "total T s". The origin says "origin at http://127.0.0.1:PORT" as it starts.
// What the output must show (tests/demos/fetch_and_save_test.cpp):
//  - every model: the three pages saved with their sizes (5160, 17035, 2030 characters),
//    the origin's port closed and no child process left afterwards;
//  - sequential: each page saved before the next is fetched, total ≈ 4 units;
//  - every concurrent model: the three fetches start before any page is saved, docs (the
//    slowest) saved last, total ≈ 2 units.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "models/core/http.hpp"
#include "scenario.hpp"
#include "workdir.hpp"

namespace cmbench::demos::fetch_and_save {

// A page of the origin: GET /<name> is answered `wait` units after the request, with
// `size` characters of HTML; it is saved as <name>.html. Trivially copyable, its name a
// literal's view: a process Pool can map over the sites.
struct Site {
  std::string_view name;
  double wait;
  std::size_t size;
};
inline constexpr std::array<Site, 3> sites = {
    {{"news", 1, 5160}, {"docs", 2, 17035}, {"blog", 1, 2030}}};

// The page's HTML, exactly `site.size` characters.
std::string page(const Site& site);
// "http://127.0.0.1:PORT/news", the request for it, and "news.html".
std::string url(std::uint16_t port, const Site& site);
std::string request(const Site& site);
std::string file_name(const Site& site);

// One response being read, with the suite's strict HTTP parser: feed it what arrives
// until it says the page is whole. Throws std::runtime_error naming the URL for a
// malformed response, a status other than 200, or a connection closed too soon.
class Download {
 public:
  Download(std::uint16_t port, const Site& site) : url_(url(port, site)) {}
  // What arrived; true once the response is whole. Empty `bytes` is the end of the
  // stream: throws unless the response is whole.
  bool feed(std::string_view bytes);
  // For a recv() straight into the parser's buffer: room for it, then how much came.
  std::span<char> buffer() { return reader_.buffer(64 * 1024); }
  bool commit(std::size_t n);
  const std::string& text() const noexcept { return text_; }

 private:
  bool parse();
  std::string url_;
  http::ResponseReader reader_;
  std::string text_;
  bool done_ = false;
};

// Saves the page's text as <name>.html in `dir` (a blocking write, for a thread of its
// own or the offload pool) and returns the path.
std::string save(const Workdir& dir, const Site& site, const std::string& text);

// The blocking version of one page's work, which sequential, threads and processes share
// (they differ only in who calls it): says "fetching <url>", connects, sends, receives
// until the page is whole (blocking calls, each bounded by 30 s), saves it, says
// "Downloaded <file>: N characters". Returns N.
namespace blocking {
std::size_t download_and_save(std::uint16_t port, const Workdir& dir, const Site& site);
}

// Says "Downloaded news.html: N characters".
void downloaded(const Site& site, std::size_t characters);

// Throws std::runtime_error naming the file unless every page was saved, exactly.
void check_saved(const Workdir& dir);

Scenario describe();

// One demo per model, in demos/fetch_and_save/<model>.cpp.
void sequential();
void threads();
void processes();
void callbacks();
void futures();
void fibers();
void coroutines();

}  // namespace cmbench::demos::fetch_and_save
