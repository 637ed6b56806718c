// A differential libFuzzer target for the shared HTTP readers (models/core/http.hpp): every
// server and the load generator trust them with bytes from the network.
//
// Input: the first byte says what is read and how it arrives, the rest is the byte stream.
// An odd first byte reads requests (RequestReader), an even one responses (ResponseReader);
// its upper seven bits seed the sizes of the chunks. The seed corpus
// (tests/fuzz/http_corpus/) therefore starts request streams with 'Q' and response streams
// with 'R', followed by the HTTP text.
//
// The stream is read twice: by a reader given all of it at once, and by one given it in
// chunks (sizes 1 byte to 4 KiB, through feed() or through buffer()/commit(), as a server
// reads). Where the bytes are cut must not matter, so both must return the same messages
// (every field and the body), then the same final status and error. Each reader must also
// keep its promises: a ready message's views point into what was fed, exactly where the
// message lies in the stream; its head (up to the empty line) fits in http::max_head; its
// body is content_length bytes; it sets every field (the chunked reader's message is
// reused and poisoned before each call); an HTTP/1.0 request is never keep-alive; a reader
// that said bad stays bad, with the same error; an incomplete reader is idle() exactly when
// every byte fed was consumed. A violation prints what differed and traps: libFuzzer then keeps
// the input as a crash.
//
// Not checked: that what is accepted is right (the unit tests hold the examples), nor
// time: a reader that is correct but slow is caught only by libFuzzer's -timeout.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/core/http.hpp"

namespace http = cmbench::http;

namespace {

// Non-printable bytes as \xNN, so that a report shows where a message differs.
std::string escaped(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += char(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

[[noreturn]] void violation(const std::string& what, const std::string& detail = {}) {
  std::fprintf(stderr, "http_fuzz: %s\n%s\n", what.c_str(), detail.c_str());
  __builtin_trap();
}

void require(bool ok, const char* what, const std::string& detail = {}) {
  if (!ok) violation(what, detail);
}

const char* name(http::Status s) {
  return s == http::Status::ready ? "ready" : s == http::Status::bad ? "bad" : "incomplete";
}

// Chunk sizes, reproducible from the seed: a quarter single bytes (every possible cut), the
// rest up to 8, 128 and 4096 bytes. xorshift32: any generator would do, this one is short.
class Chunks {
 public:
  explicit Chunks(std::uint8_t seed) : state_(0x9e3779b9u ^ (std::uint32_t(seed) << 8)) {}
  std::uint32_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_;
  }
  std::size_t size() {
    switch (next() % 4) {
      case 0:
        return 1;
      case 1:
        return 1 + next() % 8;
      case 2:
        return 1 + next() % 128;
      default:
        return 1 + next() % 4096;
    }
  }

 private:
  std::uint32_t state_;
};

// What each kind of reader returns, described for comparison, and the checks particular to
// it. `at` is the stream from where the message begins, as far as it was fed; `mem` is where
// at[0] lies in the reader's buffer.
struct Requests {
  using Reader = http::RequestReader;
  using Message = http::Request;
  static std::string describe(const Message& m) {
    return escaped(m.method) + " " + escaped(m.target) + " HTTP/1." +
           std::to_string(m.minor_version) + " keep_alive=" + std::to_string(m.keep_alive) +
           " content_length=" + std::to_string(m.content_length) + " body=" + escaped(m.body);
  }
  // Fields a ready request never has: each must be overwritten.
  static void poison(Message& m) { m = {"poison", "poison", 7, false, 12345, "poison"}; }
  static void check(const Message& m, std::string_view at, const char* mem) {
    require(m.method.data() == mem, "the method is not where the request begins");
    require(m.target.data() == mem + m.method.size() + 1, "the target is not after the method");
    require(m.minor_version == 0 || m.minor_version == 1, "a version other than 1.0 or 1.1");
    std::string_view version = m.minor_version == 1 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n";
    std::size_t after_target = m.method.size() + 1 + m.target.size();
    require(at.substr(after_target, version.size()) == version,
            "the request line does not end with its version");
    require(m.minor_version == 1 || !m.keep_alive, "an HTTP/1.0 request kept alive");
  }
};

struct Responses {
  using Reader = http::ResponseReader;
  using Message = http::Response;
  static std::string describe(const Message& m) {
    return std::to_string(m.status) + " keep_alive=" + std::to_string(m.keep_alive) +
           " content_length=" + std::to_string(m.content_length) + " body=" + escaped(m.body);
  }
  static void poison(Message& m) { m = {-1, false, 12345, "poison"}; }
  static void check(const Message& m, std::string_view at, const char*) {
    require(m.status >= 0 && m.status <= 999, "a status code of more than three digits");
    require(at.substr(9, 3) == std::to_string(1000 + m.status).substr(1),
            "the status code is not what was fed");
  }
};

// The checks every message gets. Returns the message's length in the stream.
template <class Kind>
std::size_t check_message(const typename Kind::Message& m, std::string_view at, const char* mem) {
  std::size_t empty_line = at.find("\r\n\r\n");
  require(empty_line != std::string_view::npos, "a message without a complete head");
  std::size_t head = empty_line + 4;
  if (head > http::max_head)
    violation("a head over max_head accepted", "head of " + std::to_string(head) + " bytes");
  require(m.body.size() == m.content_length, "a body that is not content_length bytes");
  require(m.content_length <= http::max_body, "a body over max_body accepted");
  require(head + m.content_length <= at.size(), "a body past what was fed");
  require(m.body.data() == mem + head, "the body is not right after the head");
  Kind::check(m, at, mem);
  return head + m.content_length;
}

struct Outcome {
  std::vector<std::string> messages;
  http::Status status = http::Status::incomplete;  // what the last next() returned
  std::string error;
  std::size_t consumed = 0;  // bytes of the stream the messages took
};

// What a reader promises once it stopped returning messages.
template <class Kind>
void check_end(typename Kind::Reader& reader, const Outcome& out, std::size_t fed) {
  typename Kind::Message m;
  if (out.status == http::Status::bad) {
    require(!out.error.empty(), "bad without an error");
    require(reader.next(m) == http::Status::bad, "next() after bad was not bad");
    reader.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    require(reader.next(m) == http::Status::bad, "next() after bad and more bytes was not bad");
    require(reader.error() == out.error, "the error changed after bad");
  } else {
    require(out.error.empty(), "an error without bad", out.error);
    require(reader.idle() == (out.consumed == fed), "idle() disagrees with the bytes left");
  }
}

template <class Kind>
Outcome read_whole(std::string_view stream) {
  typename Kind::Reader reader;
  std::span<char> room = reader.buffer(stream.size());
  require(room.size() >= stream.size(), "buffer(n) gave less than n bytes");
  if (!stream.empty()) std::memcpy(room.data(), stream.data(), stream.size());
  reader.commit(stream.size());
  Outcome out;
  for (;;) {
    typename Kind::Message m;
    out.status = reader.next(m);
    if (out.status != http::Status::ready) break;
    std::string_view at = stream.substr(out.consumed);
    out.consumed += check_message<Kind>(m, at, room.data() + out.consumed);
    out.messages.push_back(Kind::describe(m));
  }
  out.error = reader.error();
  check_end<Kind>(reader, out, stream.size());
  return out;
}

template <class Kind>
Outcome read_in_chunks(std::string_view stream, Chunks& chunks) {
  typename Kind::Reader reader;
  // Reused as a server does, and poisoned before each next(): a field that a ready message
  // leaves as it was differs from the whole reader's fresh one.
  typename Kind::Message m;
  Outcome out;
  std::size_t fed = 0;
  if (stream.empty()) out.status = reader.next(m);
  while (fed < stream.size() && out.status != http::Status::bad) {
    std::size_t n = std::min(chunks.size(), stream.size() - fed);
    const char* end;  // one past the last byte fed, in the reader's buffer
    if (chunks.next() % 2) {
      reader.feed(stream.substr(fed, n));
      end = reader.buffer(0).data();
    } else {  // as a read() that fills less than the room it was given
      std::span<char> room = reader.buffer(n + chunks.next() % 64);
      require(room.size() >= n, "buffer(n) gave less than n bytes");
      std::memcpy(room.data(), stream.data() + fed, n);
      reader.commit(n);
      end = room.data() + n;
    }
    fed += n;
    for (;;) {
      Kind::poison(m);
      out.status = reader.next(m);
      if (out.status != http::Status::ready) break;
      std::string_view at = stream.substr(out.consumed, fed - out.consumed);
      out.consumed += check_message<Kind>(m, at, end - at.size());
      out.messages.push_back(Kind::describe(m));
    }
  }
  out.error = reader.error();
  check_end<Kind>(reader, out, fed);
  return out;
}

template <class Kind>
void differential(std::string_view stream, std::uint8_t seed) {
  Outcome whole = read_whole<Kind>(stream);
  Chunks chunks(seed);
  Outcome cut = read_in_chunks<Kind>(stream, chunks);
  std::size_t n = std::min(whole.messages.size(), cut.messages.size());
  for (std::size_t i = 0; i < n; ++i)
    if (whole.messages[i] != cut.messages[i])
      violation("message " + std::to_string(i) + " differs when the stream is cut",
                "whole: " + whole.messages[i] + "\ncut:   " + cut.messages[i]);
  if (whole.messages.size() != cut.messages.size() || whole.status != cut.status ||
      whole.error != cut.error)
    violation("the readers stop differently when the stream is cut",
              "whole: " + std::to_string(whole.messages.size()) + " messages, then " +
                  name(whole.status) + " " + whole.error +
                  "\ncut:   " + std::to_string(cut.messages.size()) + " messages, then " +
                  name(cut.status) + " " + cut.error);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2)
    differential<Requests>(stream, data[0] >> 1);
  else
    differential<Responses>(stream, data[0] >> 1);
  return 0;
}
