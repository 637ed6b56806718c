#include "params.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace cmbench {
namespace {

// Parses a whole non-negative decimal integer with an optional k/M suffix or 1eN form.
bool parse_integer(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  std::int64_t mult = 1;
  if (auto e = s.find_first_of("eE"); e != std::string_view::npos) {
    std::int64_t exp = 0;
    if (!parse_integer(s.substr(e + 1), exp) || exp > 18) return false;
    for (std::int64_t i = 0; i < exp; ++i) mult *= 10;
    s = s.substr(0, e);
  } else if (s.back() == 'k' || s.back() == 'M') {
    mult = s.back() == 'k' ? 1000 : 1000000;
    s.remove_suffix(1);
  }
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v < 0) return false;
  if (v > INT64_MAX / mult) return false;
  out = v * mult;
  return true;
}

bool parse_duration_us(std::string_view s, std::int64_t& us) {
  struct Unit {
    std::string_view suffix;
    std::int64_t us;
  };
  static constexpr Unit units[] = {{"us", 1}, {"ms", 1000}, {"s", 1000000}};
  for (const auto& u : units) {
    if (s.size() > u.suffix.size() && s.ends_with(u.suffix)) {
      auto num = s.substr(0, s.size() - u.suffix.size());
      if (!std::isdigit(static_cast<unsigned char>(num.back()))) continue;  // "ms" vs "s"
      std::int64_t v = 0;
      if (!parse_integer(num, v) || v > INT64_MAX / u.us) return false;
      us = v * u.us;
      return true;
    }
  }
  return false;
}

std::string kind_form(ParamKind k) {
  switch (k) {
    case ParamKind::integer:
      return "a whole number such as 100, 10k or 1e4";
    case ParamKind::duration:
      return "a duration such as 250us, 10ms or 2s";
    case ParamKind::list:
      return "positive whole numbers joined by '-', such as 2-3-1";
    case ParamKind::choice:
      return "one of the listed choices";
    case ParamKind::host:
      return "loopback, a network namespace such as cmbench-a, or an IPv4 address";
  }
  return "?";
}

// A name as iproute2 gives a namespace, kept to what is safe in a path and a cell's name.
bool is_namespace_name(const std::string& text) {
  if (text.empty() || text.size() > 64 || !std::islower(static_cast<unsigned char>(text[0])))
    return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

// Dotted-quad IPv4, as inet_pton reads it (no leading zeros, each part at most 255).
bool is_ipv4(const std::string& text) {
  in_addr a{};
  return ::inet_pton(AF_INET, text.c_str(), &a) == 1;
}

std::string valid_names(const std::vector<ParamSpec>& specs) {
  std::string s;
  for (const auto& p : specs) s += (s.empty() ? "" : ", ") + p.name + " (" + p.help + ")";
  return s;
}

}  // namespace

std::string format_duration(std::chrono::microseconds d) {
  auto us = d.count();
  if (us != 0 && us % 1000000 == 0) return std::to_string(us / 1000000) + "s";
  if (us != 0 && us % 1000 == 0) return std::to_string(us / 1000) + "ms";
  return std::to_string(us) + "us";
}

std::string canonical_value(const ParamSpec& spec, const std::string& text) {
  auto bad = [&](const std::string& why) {
    return BadInput("parameter " + spec.name + "=" + text + ": " + why);
  };
  auto check = [&](std::int64_t v, const char* what) {
    if (v < spec.min || v > spec.max)
      throw bad(std::string(what) + " must be in [" + std::to_string(spec.min) + ", " +
                std::to_string(spec.max) + "]");
  };
  switch (spec.kind) {
    case ParamKind::integer: {
      std::int64_t v = 0;
      if (!parse_integer(text, v)) throw bad("expected " + kind_form(spec.kind));
      check(v, "the value");
      return std::to_string(v);
    }
    case ParamKind::duration: {
      std::int64_t us = 0;
      if (!parse_duration_us(text, us)) throw bad("expected " + kind_form(spec.kind));
      check(us, "the duration in microseconds");
      return format_duration(std::chrono::microseconds(us));
    }
    case ParamKind::list: {
      std::string out;
      std::string_view rest = text;
      if (rest.empty()) throw bad("expected " + kind_form(spec.kind));
      while (true) {
        auto dash = rest.find('-');
        std::int64_t v = 0;
        if (!parse_integer(rest.substr(0, dash), v)) throw bad("expected " + kind_form(spec.kind));
        check(v, "each item");
        out += (out.empty() ? "" : "-") + std::to_string(v);
        if (dash == std::string_view::npos) break;
        rest = rest.substr(dash + 1);
      }
      return out;
    }
    case ParamKind::choice: {
      if (std::find(spec.choices.begin(), spec.choices.end(), text) != spec.choices.end())
        return text;
      std::string valid;
      for (const auto& c : spec.choices) valid += (valid.empty() ? "" : ", ") + c;
      throw bad("expected one of: " + valid);
    }
    case ParamKind::host: {
      if (is_namespace_name(text) || is_ipv4(text)) return text;  // loopback is a name too
      throw bad("expected " + kind_form(spec.kind));
    }
  }
  throw bad("unknown kind");
}

ParamValues parse_params(const std::vector<ParamSpec>& specs,
                         const std::vector<std::string>& overrides) {
  std::vector<std::pair<std::string, std::string>> kv;
  for (const auto& s : specs) kv.emplace_back(s.name, canonical_value(s, s.default_text));
  for (const auto& o : overrides) {
    auto sep = o.find_first_of("=:");
    if (sep == std::string::npos)
      throw BadInput("parameter '" + o + "': expected name=value; valid: " + valid_names(specs));
    auto name = o.substr(0, sep);
    auto it = std::find_if(specs.begin(), specs.end(), [&](auto& s) { return s.name == name; });
    if (it == specs.end())
      throw BadInput("unknown parameter '" + name + "'; valid: " + valid_names(specs));
    kv[static_cast<std::size_t>(it - specs.begin())].second =
        canonical_value(*it, o.substr(sep + 1));
  }
  return ParamValues(std::move(kv));
}

const std::string& ParamValues::text(const std::string& name) const {
  for (const auto& [k, v] : kv_)
    if (k == name) return v;
  throw std::logic_error("no parameter " + name);  // a workload asked for a name it never declared
}

std::int64_t ParamValues::integer(const std::string& name) const {
  std::int64_t v = 0;
  parse_integer(text(name), v);
  return v;
}

std::chrono::microseconds ParamValues::duration(const std::string& name) const {
  std::int64_t us = 0;
  parse_duration_us(text(name), us);
  return std::chrono::microseconds(us);
}

std::vector<std::int64_t> ParamValues::list(const std::string& name) const {
  std::vector<std::int64_t> out;
  std::string_view rest = text(name);
  while (true) {
    auto dash = rest.find('-');
    std::int64_t v = 0;
    parse_integer(rest.substr(0, dash), v);
    out.push_back(v);
    if (dash == std::string_view::npos) return out;
    rest = rest.substr(dash + 1);
  }
}

std::string ParamValues::name_suffix() const {
  std::string s;
  for (const auto& [k, v] : kv_)
    if (v != "loopback") s += (s.empty() ? "" : "/") + k + ":" + v;
  return s;
}

}  // namespace cmbench
