#include "spec.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "demo.hpp"
#include "models/core/fd.hpp"

namespace cmbench::demos::fetch_and_save {
namespace {

// "sequential 4.0 s, threads 2.0 s, coroutines 2.0 s: one after another the answers' waits
// add up (1 + 2 + 1); concurrently they overlap and the slowest page (2) sets the total".
std::string lesson(const std::vector<Run>& runs) {
  std::string times, why;
  bool concurrent = false;
  for (const auto& r : runs) {
    times += fmt::format("{}{} {}", times.empty() ? "" : ", ", r.model, seconds(r.wall_ns));
    if (r.model == "sequential")
      why = "one after another the answers' waits add up (1 + 2 + 1)";
    else
      concurrent = true;
  }
  if (concurrent)
    why += std::string(why.empty() ? "" : "; ") +
           "concurrently they overlap and the slowest page (2) sets the total";
  return times + ": " + why;
}

}  // namespace

std::string page(const Site& site) {
  std::string html = fmt::format("<!doctype html>\n<title>{}</title>\n", site.name);
  for (int line = 1; html.size() < site.size; ++line)
    html += fmt::format("<p>{}, paragraph {}: all the news that fits.</p>\n", site.name, line);
  html.resize(site.size);
  return html;
}

std::string url(std::uint16_t port, const Site& site) {
  return fmt::format("http://127.0.0.1:{}/{}", port, site.name);
}

std::string request(const Site& site) {
  return http::get_request("/" + std::string(site.name), /*keep_alive=*/false);
}

std::string file_name(const Site& site) {
  return std::string(site.name) + ".html";
}

bool Download::parse() {
  http::Response r;
  switch (reader_.next(r)) {
    case http::Status::incomplete:
      return false;
    case http::Status::bad:
      throw std::runtime_error(
          fmt::format("GET {}: malformed response: {}", url_, reader_.error()));
    case http::Status::ready:
      break;
  }
  if (r.status != 200) throw std::runtime_error(fmt::format("GET {}: status {}", url_, r.status));
  text_ = r.body;
  done_ = true;
  return true;
}

bool Download::feed(std::string_view bytes) {
  if (done_) return true;
  if (bytes.empty())
    throw std::runtime_error(fmt::format("GET {}: closed before the whole page", url_));
  reader_.feed(bytes);
  return parse();
}

bool Download::commit(std::size_t n) {
  if (n == 0) return feed({});
  reader_.commit(n);
  return parse();
}

std::string save(const Workdir& dir, const Site& site, const std::string& text) {
  const std::string path = dir / file_name(site);
  write_whole_file(path, text);
  return path;
}

void downloaded(const Site& site, std::size_t characters) {
  say("Downloaded {}: {} characters", file_name(site), characters);
}

std::size_t blocking::download_and_save(std::uint16_t port, const Workdir& dir, const Site& site) {
  say("fetching {}", url(port, site));
  auto fail = [&](const char* call) {
    throw std::system_error(errno, std::generic_category(),
                            fmt::format("GET {}: {}", url(port, site), call));
  };
  Fd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) fail("socket");
  const timeval bound{30, 0};  // a last resort: a server that never answers fails the demo
  ::setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
  ::setsockopt(sock.get(), SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof bound);
  sockaddr_in origin{};
  origin.sin_family = AF_INET;
  origin.sin_port = htons(port);
  origin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(sock.get(), reinterpret_cast<const sockaddr*>(&origin), sizeof origin) < 0)
    fail("connect");
  const std::string get = request(site);
  if (::send(sock.get(), get.data(), get.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(get.size()))
    fail("send");  // a few dozen bytes into an empty socket buffer: all or an error
  Download page(port, site);
  for (bool whole = false; !whole;) {
    std::span<char> room = page.buffer();
    const ssize_t n = ::recv(sock.get(), room.data(), room.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("recv");
    whole = page.commit(static_cast<std::size_t>(n));
  }
  save(dir, site, page.text());
  downloaded(site, page.text().size());
  return page.text().size();
}

void check_saved(const Workdir& dir) {
  for (const Site& site : sites)
    if (read_whole_file(dir / file_name(site)) != page(site))
      throw std::runtime_error(fmt::format("{} is not the page it should be", file_name(site)));
}

Scenario describe() {
  return {
      .name = "fetch_and_save",
      .title = "Fetch three pages (answered in 1, 2 and 1 units) and save each to a file",
      .teaches =
          "A fetch spends its time waiting for the server's answer. One after another the "
          "waits add up: 1 + 2 + 1 = 4 units. Concurrently they overlap and the slowest page "
          "sets the total: 2 units. The event-driven models keep the three connections open "
          "at once on one thread (open_connection streams, gevent's sockets, Tornado's "
          "IOStream, a Twisted Protocol) and hand the saving to a pool thread, as aiofiles "
          "does; threads and processes give each page a lane of its own.",
      .demos = {{"sequential", sequential, "demos/fetch_and_save/sequential.cpp"},
                {"threads", threads, "demos/fetch_and_save/threads.cpp"},
                {"processes", processes, "demos/fetch_and_save/processes.cpp"},
                {"callbacks", callbacks, "demos/fetch_and_save/callbacks.cpp"},
                {"futures", futures, "demos/fetch_and_save/futures.cpp"},
                {"fibers", fibers, "demos/fetch_and_save/fibers.cpp"},
                {"coroutines", coroutines, "demos/fetch_and_save/coroutines.cpp"}},
      .lesson = lesson,
  };
}

}  // namespace cmbench::demos::fetch_and_save
