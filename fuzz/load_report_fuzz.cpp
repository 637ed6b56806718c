// A libFuzzer target for the load report's reader (workloads/serving/load_contract.hpp):
// every loaded cell trusts it with the one JSON line that the load generator, a process of
// its own, printed last. A generator that died half-way, or printed something else, must give
// an error the cell can report, never a crash, a hang or a report with nonsense in it.
//
// Input: any bytes, read as the report's line. Report::from_json must either throw
// std::runtime_error (worded "load report: ...") or return a report; a returned report must
// come back equal through to_json and from_json again (what the generator writes is what the
// runner reads). Anything else thrown, or a difference, traps: libFuzzer keeps the input.
//
// The seed corpus (tests/fuzz/load_report_corpus/) holds reports as the generator writes
// them, and broken ones: cut short, a field missing, a negative count, a string for a number.
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "workloads/serving/load_contract.hpp"

namespace load = cmbench::load;

namespace {

bool same(const load::Report& a, const load::Report& b) {
  auto number = [](double x, double y) { return x == y || (x != x && y != y); };  // NaN too
  return a.ok == b.ok && a.bad_responses == b.bad_responses && a.timeouts == b.timeouts &&
         a.errors == b.errors && a.unsent == b.unsent && a.peak_in_flight == b.peak_in_flight &&
         number(a.seconds, b.seconds) && number(a.requests_per_second, b.requests_per_second) &&
         number(a.p50_us, b.p50_us) && number(a.p90_us, b.p90_us) && number(a.p99_us, b.p99_us) &&
         number(a.p999_us, b.p999_us) && number(a.max_us, b.max_us) &&
         a.first_error == b.first_error;
}

[[noreturn]] void violated(const char* what, const std::string& input) {
  std::fprintf(stderr, "load_report_fuzz: %s\ninput: %s\n", what, input.c_str());
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  load::Report read;
  try {
    read = load::Report::from_json(text);
  } catch (const std::runtime_error& e) {
    if (std::string(e.what()).rfind("load report: ", 0) != 0)
      violated("an error not worded as the load report's", text);
    return 0;
  } catch (...) {
    violated("from_json threw something other than std::runtime_error", text);
  }
  std::string again;
  try {
    again = read.to_json();
  } catch (...) {
    violated("a report that was read cannot be written again", text);
  }
  try {
    if (!same(load::Report::from_json(again), read))
      violated("a report read, written and read again is not the same", text);
  } catch (const std::runtime_error&) {
    violated("a report that was read cannot be read again once written", text);
  }
  return 0;
}
