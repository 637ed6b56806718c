// HTTP/1.1, the small strict part every server and client of the suite shares: a request
// reader for servers, a response reader for clients (the load generator), and the
// responses the servers send. Written once, so that two models' servers differ by their
// model only.
//
// The reader is strict on purpose: it accepts what RFC 9112 requires of a client and
// nothing else, so that a malformed request is answered 400 and the connection closed,
// never guessed at. Accepted:
//   request-line  method SP target SP "HTTP/1.0" | "HTTP/1.1" CRLF   (method a token,
//                 target visible ASCII)
//   header        name ":" OWS value OWS CRLF   (name a token; no line folding)
//   a Host header on HTTP/1.1; Content-Length (digits only, at most max_body, repeated
//   copies equal); Connection with "close" / "keep-alive"
// Rejected (bad): anything else, and in particular a bare LF, a request line or header
// section over max_head (8 KiB in all), more than max_headers headers, Transfer-Encoding
// (bodies are only ever sized by Content-Length here), a leading empty line.
// Pipelined requests are returned one by one, in order.
//
// Guarantees: a byte of a head is scanned once while the head is incomplete, and the head
// is parsed once complete (once more per read while a body is still arriving: bounded by
// the head's 8 KiB and the server's idle timeout); a request's views stay valid until the next
// call to buffer(), feed() or next(). Cost: ≈ 100–200 ns for a wrk-sized request here.
// Thread-safety: a reader belongs to one connection and one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cmbench::http {

inline constexpr std::size_t max_head = 8 * 1024;  // request line + headers + final CRLF
inline constexpr std::size_t max_body = 1 << 20;   // a larger Content-Length is refused
inline constexpr std::size_t max_headers = 100;

inline constexpr std::string_view hello_body = "Hello, world!";

struct Request {
  std::string_view method;
  std::string_view target;
  int minor_version = 1;  // HTTP/1.<minor_version>
  bool keep_alive = true;
  std::size_t content_length = 0;
  std::string_view body;
};

// What reading found. `incomplete`: feed more bytes. `bad`: answer 400 and close (error()
// says why, for logs and tests); the reader stays bad.
enum class Status { incomplete, ready, bad };

// Bytes are appended at the back; complete messages are taken from the front. Shared by
// the two readers below.
class Buffer {
 public:
  // Room for at least `n` more bytes at the back; commit() how many were written there.
  std::span<char> room(std::size_t n = 16 * 1024);
  void commit(std::size_t n) { end_ += n; }
  void append(std::string_view bytes);
  std::string_view data() const { return {bytes_.data() + begin_, end_ - begin_}; }
  void consume(std::size_t n) { begin_ += n; }
  bool empty() const { return begin_ == end_; }

 private:
  std::vector<char> bytes_;
  std::size_t begin_ = 0, end_ = 0;
};

// The server's side: one per connection.
class RequestReader {
 public:
  std::span<char> buffer(std::size_t n = 16 * 1024) { return buf_.room(n); }
  void commit(std::size_t n) { buf_.commit(n); }
  void feed(std::string_view bytes) { buf_.append(bytes); }

  // The next complete request (head and body), or why there is none yet.
  Status next(Request& r);
  std::string_view error() const { return error_; }
  // Nothing of a next request has arrived (a connection closed here ended cleanly).
  bool idle() const { return buf_.empty(); }

 private:
  Status fail(const char* why);
  Buffer buf_;
  std::size_t scanned_ = 0;    // bytes of the current head already searched for its end
  std::size_t head_size_ = 0;  // the head's length once its end was found, else 0
  const char* error_ = "";
};

struct Response {
  int status = 0;
  bool keep_alive = true;
  std::size_t content_length = 0;
  std::string_view body;  // valid until the next call on the reader
};

// The client's side: one per connection. Accepts a status line "HTTP/1.x NNN reason",
// headers as above and a Content-Length (required: the suite's servers always send one).
class ResponseReader {
 public:
  std::span<char> buffer(std::size_t n = 16 * 1024) { return buf_.room(n); }
  void commit(std::size_t n) { buf_.commit(n); }
  void feed(std::string_view bytes) { buf_.append(bytes); }
  Status next(Response& r);
  std::string_view error() const { return error_; }
  bool idle() const { return buf_.empty(); }

 private:
  Status fail(const char* why);
  Buffer buf_;
  const char* error_ = "";
};

// Appends a whole response: status line, Content-Type, Content-Length, "Connection: close"
// when the connection ends after it, and the body.
void write_response(std::string& out, int status, std::string_view reason,
                    std::string_view content_type, std::string_view body, bool keep_alive);

// The two answers of the hello-world server, built once by write_response.
std::string_view hello_response(bool keep_alive);
// 400 Bad Request, then close.
std::string_view bad_request_response();

// A GET request for `target` as the load generator sends it (Host, keep-alive).
std::string get_request(std::string_view target, bool keep_alive = true);

}  // namespace cmbench::http
