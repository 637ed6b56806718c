#include "load_contract.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace cmbench::load {

std::string Report::to_json() const {
  nlohmann::json j = {{"ok", ok},
                      {"bad_responses", bad_responses},
                      {"timeouts", timeouts},
                      {"errors", errors},
                      {"unsent", unsent},
                      {"peak_in_flight", peak_in_flight},
                      {"seconds", seconds},
                      {"requests_per_second", requests_per_second},
                      {"p50_us", p50_us},
                      {"p90_us", p90_us},
                      {"p99_us", p99_us},
                      {"p999_us", p999_us},
                      {"max_us", max_us},
                      {"first_error", first_error}};
  return j.dump();
}

Report Report::from_json(const std::string& text) {
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    Report r;
    j.at("ok").get_to(r.ok);
    j.at("bad_responses").get_to(r.bad_responses);
    j.at("timeouts").get_to(r.timeouts);
    j.at("errors").get_to(r.errors);
    j.at("unsent").get_to(r.unsent);
    j.at("peak_in_flight").get_to(r.peak_in_flight);
    j.at("seconds").get_to(r.seconds);
    j.at("requests_per_second").get_to(r.requests_per_second);
    j.at("p50_us").get_to(r.p50_us);
    j.at("p90_us").get_to(r.p90_us);
    j.at("p99_us").get_to(r.p99_us);
    j.at("p999_us").get_to(r.p999_us);
    j.at("max_us").get_to(r.max_us);
    j.at("first_error").get_to(r.first_error);
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("load report: ") + e.what());
  }
}

}  // namespace cmbench::load
