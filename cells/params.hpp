// Parameters of a cell: declared once per workload (a ParamSpec each), given as text on the
// command line or in a cell name (`N:100/d:10ms`), normalised and checked against the spec.
//
// Guarantees: a ParamValues that came out of `parse_params` holds every parameter of its
// workload, in the spec's order, in canonical text form (so that two spellings of one value
// give one cell name), inside the declared bounds. Anything else is a BadInput whose message
// names the valid choices. Not thread-safe to mutate; cheap to copy (a few short strings).
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace cmbench {

// A user's mistake (unknown name, malformed value): reported with exit status 2.
struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class ParamKind {
  integer,   // 100, 1000, 10000 (also 1e4 and 10k)
  duration,  // 10ms, 1ms, 250us, 2s: stored and printed in the largest exact unit
  list,      // 2-3-1: positive integers separated by '-'
  choice,    // one of the spec's `choices`
  host,      // loopback, a network namespace's name (cmbench-a), or an IPv4 address
};

struct ParamSpec {
  std::string name;
  ParamKind kind;
  std::string default_text;
  std::string help;
  std::int64_t min = 1;  // bounds: for integer the value, for duration in µs, for list each item
  std::int64_t max = INT64_MAX;
  std::vector<std::string> choices = {};  // for ParamKind::choice
};

class ParamValues {
 public:
  ParamValues() = default;
  explicit ParamValues(std::vector<std::pair<std::string, std::string>> kv) : kv_(std::move(kv)) {}

  const std::string& text(const std::string& name) const;
  std::int64_t integer(const std::string& name) const;
  std::chrono::microseconds duration(const std::string& name) const;
  std::vector<std::int64_t> list(const std::string& name) const;

  // `N:100/d:10ms/w:1`: the part of a cell's name after workload and model. A host parameter
  // at loopback, its default, is left out: a cell over loopback keeps the name it had before
  // cells could cross a link (`server:cmbench-a/client:cmbench-b` is named).
  std::string name_suffix() const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return kv_; }
  bool operator==(const ParamValues&) const = default;

 private:
  std::vector<std::pair<std::string, std::string>> kv_;
};

// Normalises one value of the given spec; throws BadInput naming the parameter and its form.
std::string canonical_value(const ParamSpec& spec, const std::string& text);

// Builds complete values from `name=value` (or `name:value`) overrides on top of the spec's
// defaults. Unknown names throw BadInput listing the valid ones.
ParamValues parse_params(const std::vector<ParamSpec>& specs,
                         const std::vector<std::string>& overrides);

std::string format_duration(std::chrono::microseconds d);

}  // namespace cmbench
