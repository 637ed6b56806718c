// The pages of the loopback origin (origin.hpp) and what a client does with them, shared by
// the workloads that fetch from it (http_fetch, fetch_and_process): the URL of item i, its
// body (a length and bytes that depend on i, so that a client cannot answer from a cache or
// mix two responses up), the digest a verifier recomputes, the request every client sends,
// and Page, the incremental reader of one response.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "models/core/http.hpp"
#include "models/core/span.hpp"

namespace cmbench::serving {

// A body's length and its 64-bit FNV-1a checksum.
struct Digest {
  std::uint32_t length = 0;
  std::uint64_t checksum = 0;
  friend bool operator==(const Digest&, const Digest&) = default;
};

// One page as the client got it. Trivially copyable: it travels through pipes.
struct Fetched {
  Digest digest;
  Span span;
};

// Thrown by a client when a fetch fails; what() names the URL and the cause.
struct FetchError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---- The pages --------------------------------------------------------------------------

// "/item/<i>"
std::string target(std::size_t i);
// The URL index of a target, or -1 when it is not /item/<decimal>.
long long index_of(std::string_view target);
// The body of /item/i: 100 to 1 123 bytes, a length and content that depend on i.
std::string body(std::size_t i);
// What the body of /item/i must digest to (computed from body(i)).
Digest expected(std::size_t i);
// The digest of bytes.
Digest digest_of(std::string_view bytes);

// The request every client sends for /item/i: GET, Host, Connection: close.
std::string request(std::size_t i);
// Why a fetch failed when its per-fetch timeout ended it: "no whole response within 300 ms".
std::string timed_out(std::chrono::milliseconds timeout);

// What every client does with the bytes of one response. Read into buffer() and commit()
// what arrived (or feed() bytes read elsewhere); done() turns true once the whole response
// (head and Content-Length body) is in. A malformed response or a status other than 200
// throws FetchError at once. end_of_stream() says the connection ended: it throws
// FetchError unless done(). fail() rewords another error (ECONNRESET from a read, say) as
// a FetchError naming the URL.
class Page {
 public:
  explicit Page(std::size_t index) : index_(index) {}
  std::size_t index() const { return index_; }

  std::span<char> buffer(std::size_t n = 4096) { return reader_.buffer(n); }
  bool commit(std::size_t n);
  bool feed(std::string_view bytes);
  bool done() const { return done_; }
  void end_of_stream() const;
  [[noreturn]] void fail(std::string_view why) const;

  // Once done(): the body's digest.
  Digest digest() const { return digest_; }

 private:
  bool take();
  std::size_t index_;
  http::ResponseReader reader_;
  std::size_t received_ = 0;
  bool done_ = false;
  Digest digest_;
};

}  // namespace cmbench::serving
