#include "http.hpp"

#include <array>
#include <cstring>

namespace cmbench::http {
namespace {

// RFC 9110 token characters: what a method or a header name may be made of.
bool is_tchar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;  // b is a lower-case ASCII word
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits off the first CRLF-terminated line of `rest`.
std::string_view take_line(std::string_view& rest) {
  std::size_t end = rest.find("\r\n");
  std::string_view line = rest.substr(0, end);
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 2);
  return line;
}

// What the headers of a message said, as far as framing and persistence go.
struct Headers {
  bool has_length = false;
  std::size_t content_length = 0;
  bool close = false, keep_alive = false, transfer_encoding = false;
  int hosts = 0;
};

// Parses the header lines in `rest` (everything after the start line, without the final
// empty line). Returns an error, or nullptr.
const char* parse_headers(std::string_view rest, Headers& h) {
  std::size_t count = 0;
  while (!rest.empty()) {
    std::string_view line = take_line(rest);
    if (++count > max_headers) return "more than 100 header fields";
    if (line.empty() || line.front() == ' ' || line.front() == '\t')
      return "a folded or empty header line";
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return "a header line without a colon";
    std::string_view name = line.substr(0, colon);
    if (!is_token(name)) return "a header name that is not a token";
    std::string_view value = trim_ows(line.substr(colon + 1));
    for (unsigned char c : value)
      if (c != '\t' && (c < 0x20 || c == 0x7f)) return "a control character in a header value";
    if (iequals(name, "content-length")) {
      if (value.empty()) return "an empty Content-Length";
      std::size_t n = 0;
      for (char c : value) {
        if (c < '0' || c > '9') return "a Content-Length that is not a number";
        n = n * 10 + std::size_t(c - '0');
        if (n > max_body) return "a Content-Length over 1 MiB";
      }
      if (h.has_length && n != h.content_length) return "two different Content-Lengths";
      h.has_length = true;
      h.content_length = n;
    } else if (iequals(name, "transfer-encoding")) {
      h.transfer_encoding = true;
    } else if (iequals(name, "host")) {
      ++h.hosts;
    } else if (iequals(name, "connection")) {
      while (!value.empty()) {
        std::size_t comma = value.find(',');
        std::string_view option = trim_ows(value.substr(0, comma));
        value.remove_prefix(comma == std::string_view::npos ? value.size() : comma + 1);
        if (iequals(option, "close")) h.close = true;
        if (iequals(option, "keep-alive")) h.keep_alive = true;
      }
    }
  }
  return nullptr;
}

// Finds the end of a message head ("\r\n\r\n") in `data`, searching from `from`.
// Returns the head's length with its final empty line, 0 when it has not arrived yet, or
// sets `error` (a bare LF, or an empty line where the start line should be).
std::size_t find_head_end(std::string_view data, std::size_t from, const char*& error) {
  const char* base = data.data();
  for (std::size_t i = from; i < data.size();) {
    const void* lf = std::memchr(base + i, '\n', data.size() - i);
    if (!lf) break;
    i = std::size_t(static_cast<const char*>(lf) - base);
    if (i == 0 || base[i - 1] != '\r') {
      error = "a line ending in a bare LF";
      return 0;
    }
    if (i == 1) {
      error = "an empty line before the start line";
      return 0;
    }
    if (i >= 3 && base[i - 2] == '\n') return i + 1;
    ++i;
  }
  return 0;
}

bool parse_version(std::string_view v, int& minor) {
  if (v == "HTTP/1.1")
    minor = 1;
  else if (v == "HTTP/1.0")
    minor = 0;
  else
    return false;
  return true;
}

}  // namespace

// ---- Buffer ------------------------------------------------------------------------------

std::span<char> Buffer::room(std::size_t n) {
  if (begin_ == end_) begin_ = end_ = 0;
  if (bytes_.size() - end_ < n) {
    if (begin_ > 0) {  // move what is left of the current message to the front
      std::memmove(bytes_.data(), bytes_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (bytes_.size() - end_ < n) bytes_.resize(end_ + n);
  }
  return {bytes_.data() + end_, bytes_.size() - end_};
}

void Buffer::append(std::string_view bytes) {
  std::span<char> to = room(bytes.size());
  std::memcpy(to.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

// ---- RequestReader -----------------------------------------------------------------------

Status RequestReader::fail(const char* why) {
  error_ = why;
  return Status::bad;
}

Status RequestReader::next(Request& r) {
  if (*error_) return Status::bad;
  std::string_view data = buf_.data();
  if (head_size_ == 0) {
    // The head must end within max_head bytes: searching max_head + 1 of them accepted a
    // head one byte over the limit (found by fuzz/http_fuzz.cpp).
    const char* error = nullptr;
    head_size_ = find_head_end(data.substr(0, max_head), scanned_, error);
    if (error) return fail(error);
    if (head_size_ == 0) {
      if (data.size() >= max_head) return fail("a request head over 8 KiB");
      scanned_ = data.size();
      return Status::incomplete;
    }
  }
  std::string_view rest = data.substr(0, head_size_ - 2);  // keep each line's CRLF
  std::string_view line = take_line(rest);

  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return fail("a request line without two spaces");
  r.method = line.substr(0, sp1);
  r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (!is_token(r.method)) return fail("a method that is not a token");
  if (r.target.empty()) return fail("an empty request target");
  for (unsigned char c : r.target)
    if (c <= 0x20 || c >= 0x7f) return fail("a request target with a non-visible character");
  if (!parse_version(line.substr(sp2 + 1), r.minor_version))
    return fail("a version other than HTTP/1.0 or HTTP/1.1");

  Headers h;
  if (const char* error = parse_headers(rest, h)) return fail(error);
  if (h.transfer_encoding) return fail("a Transfer-Encoding (only Content-Length is accepted)");
  if (r.minor_version == 1 && h.hosts != 1) return fail("an HTTP/1.1 request without one Host");
  // HTTP/1.0 connections end after their response: persistence there is an opt-in this
  // server does not take up (it may always close).
  r.keep_alive = r.minor_version == 1 && !h.close;
  r.content_length = h.content_length;
  if (data.size() < head_size_ + r.content_length) return Status::incomplete;
  r.body = data.substr(head_size_, r.content_length);
  buf_.consume(head_size_ + r.content_length);
  head_size_ = scanned_ = 0;
  return Status::ready;
}

// ---- ResponseReader ----------------------------------------------------------------------

Status ResponseReader::fail(const char* why) {
  error_ = why;
  return Status::bad;
}

Status ResponseReader::next(Response& r) {
  if (*error_) return Status::bad;
  std::string_view data = buf_.data();
  const char* error = nullptr;
  std::size_t head = find_head_end(data.substr(0, max_head), 0, error);  // as in requests
  if (error) return fail(error);
  if (head == 0)
    return data.size() >= max_head ? fail("a response head over 8 KiB") : Status::incomplete;
  std::string_view rest = data.substr(0, head - 2);
  std::string_view line = take_line(rest);
  // "HTTP/1.1 200 OK": version, a space, three digits, a space, any reason.
  int minor = 1;
  if (line.size() < 13 || !parse_version(line.substr(0, 8), minor) || line[8] != ' ' ||
      line[12] != ' ')
    return fail("a malformed status line");
  r.status = 0;
  for (char c : line.substr(9, 3)) {
    if (c < '0' || c > '9') return fail("a status code that is not three digits");
    r.status = r.status * 10 + (c - '0');
  }
  Headers h;
  if (const char* e = parse_headers(rest, h)) return fail(e);
  if (!h.has_length) return fail("a response without Content-Length");
  r.keep_alive = minor == 1 ? !h.close : h.keep_alive && !h.close;
  r.content_length = h.content_length;
  if (data.size() < head + r.content_length) return Status::incomplete;
  r.body = data.substr(head, r.content_length);
  buf_.consume(head + r.content_length);
  return Status::ready;
}

// ---- Writing -----------------------------------------------------------------------------

void write_response(std::string& out, int status, std::string_view reason,
                    std::string_view content_type, std::string_view body, bool keep_alive) {
  out += "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out += reason;
  out += "\r\nContent-Type: ";
  out += content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(body.size());
  out += keep_alive ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
  out += body;
}

std::string_view hello_response(bool keep_alive) {
  static const std::array<std::string, 2> responses = [] {
    std::string closing, persistent;
    write_response(closing, 200, "OK", "text/plain", hello_body, false);
    write_response(persistent, 200, "OK", "text/plain", hello_body, true);
    return std::array<std::string, 2>{closing, persistent};
  }();
  return responses[keep_alive];
}

std::string_view bad_request_response() {
  static const std::string response = [] {
    std::string r;
    write_response(r, 400, "Bad Request", "text/plain", "Bad Request\n", false);
    return r;
  }();
  return response;
}

std::string get_request(std::string_view target, bool keep_alive) {
  std::string r = "GET ";
  r += target;
  r += " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!keep_alive) r += "Connection: close\r\n";
  r += "\r\n";
  return r;
}

}  // namespace cmbench::http
