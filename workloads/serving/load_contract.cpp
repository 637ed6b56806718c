#include "load_contract.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>

namespace cmbench::load {
namespace {

// The report's fields, in one place for the writer and the reader.
constexpr std::pair<const char*, std::uint64_t Report::*> counts[] = {
    {"ok", &Report::ok},
    {"bad_responses", &Report::bad_responses},
    {"timeouts", &Report::timeouts},
    {"errors", &Report::errors},
    {"unsent", &Report::unsent},
    {"peak_in_flight", &Report::peak_in_flight}};
constexpr std::pair<const char*, double Report::*> figures[] = {
    {"seconds", &Report::seconds}, {"requests_per_second", &Report::requests_per_second},
    {"p50_us", &Report::p50_us},   {"p90_us", &Report::p90_us},
    {"p99_us", &Report::p99_us},   {"p999_us", &Report::p999_us},
    {"max_us", &Report::max_us}};

[[noreturn]] void bad(const std::string& why) {
  throw std::runtime_error("load report: " + why);
}

// A count: a whole number of 0 or more (not -1, not 1.5, not 1e30, whose conversion to an
// integer would be undefined).
std::uint64_t count(const nlohmann::json& j, const char* name) {
  const auto& v = j.at(name);
  if (!v.is_number_unsigned()) bad(std::string(name) + " is not a count: " + v.dump());
  return v.get<std::uint64_t>();
}

// A time or a rate: a number of 0 or more.
double figure(const nlohmann::json& j, const char* name) {
  const auto& v = j.at(name);
  if (!v.is_number() || v.get<double>() < 0)
    bad(std::string(name) + " is not a number of 0 or more: " + v.dump());
  return v.get<double>();
}

}  // namespace

std::string Report::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, field] : counts) j[name] = this->*field;
  for (const auto& [name, field] : figures) j[name] = this->*field;
  j["first_error"] = first_error;
  // first_error may quote a server's bytes, which need not be UTF-8: replaced, not thrown.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Report Report::from_json(const std::string& text) {
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    if (!j.is_object()) bad("not a JSON object");
    Report r;
    for (const auto& [name, field] : counts) r.*field = count(j, name);
    for (const auto& [name, field] : figures) r.*field = figure(j, name);
    const auto& first = j.at("first_error");
    if (!first.is_string()) bad("first_error is not a string: " + first.dump());
    r.first_error = first.get<std::string>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    bad(e.what());
  }
}

}  // namespace cmbench::load
