#include "workloads/serving/pages.hpp"

#include <charconv>

namespace cmbench::serving {

// ---- The pages ----------------------------------------------------------------------------

std::string target(std::size_t i) {
  return "/item/" + std::to_string(i);
}

long long index_of(std::string_view target) {
  constexpr std::string_view prefix = "/item/";
  if (!target.starts_with(prefix)) return -1;
  std::string_view digits = target.substr(prefix.size());
  if (digits.empty() || digits.size() > 12 || (digits.size() > 1 && digits[0] == '0')) return -1;
  long long i = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), i);
  if (ec != std::errc() || end != digits.data() + digits.size()) return -1;
  return i;
}

std::string body(std::size_t i) {
  // A splitmix64 stream seeded by i: lengths and bytes that differ from URL to URL.
  std::uint64_t state = 0x9E3779B97F4A7C15ULL * (i + 1);
  auto next = [&state] {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  };
  std::string b(100 + next() % 1024, '\0');
  for (char& c : b) c = static_cast<char>('a' + next() % 26);  // printable, for curl users
  return b;
}

Digest digest_of(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a, 64 bits
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ULL;
  return {static_cast<std::uint32_t>(bytes.size()), h};
}

Digest expected(std::size_t i) {
  return digest_of(body(i));
}

std::string request(std::size_t i) {
  return "GET " + target(i) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
}

// ---- Page ---------------------------------------------------------------------------------

bool Page::commit(std::size_t n) {
  reader_.commit(n);
  received_ += n;
  return take();
}

bool Page::feed(std::string_view bytes) {
  reader_.feed(bytes);
  received_ += bytes.size();
  return take();
}

bool Page::take() {
  if (done_) fail("bytes after the end of the response");
  http::Response r;
  switch (reader_.next(r)) {
    case http::Status::incomplete:
      return false;
    case http::Status::bad:
      fail("malformed response: " + std::string(reader_.error()));
    case http::Status::ready:
      break;
  }
  if (r.status != 200) fail("status " + std::to_string(r.status));
  digest_ = digest_of(r.body);
  done_ = true;
  if (!reader_.idle()) fail("bytes after the end of the response");
  return true;
}

void Page::end_of_stream() const {
  if (done_) return;
  fail(received_ == 0 ? "the connection closed before any response"
                      : "the connection closed after " + std::to_string(received_) +
                            " bytes, in the middle of the response");
}

std::string timed_out(std::chrono::milliseconds timeout) {
  return "no whole response within " + std::to_string(timeout.count()) + " ms";
}

void Page::fail(std::string_view why) const {
  throw FetchError("GET " + target(index_) + ": " + std::string(why));
}

}  // namespace cmbench::serving
