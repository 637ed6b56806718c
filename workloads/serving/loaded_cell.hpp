// What every cell of a server under the load generator shares (http_server, echo): the
// parameters C, T and pin and the load's shape from them, the verdict from the load report,
// and the figures reported from it.
//
// The load's shape: C connections (and as many pre-forked workers), a closed loop, T
// measured after a warm-up (warmup_for), and a per-request timeout within the window, so
// that requests a server never answers (the sequential server's other clients) are counted
// as timeouts rather than left in flight.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "cells/registry.hpp"
#include "workloads/serving/placement.hpp"
#include "workloads/serving/under_load.hpp"

namespace cmbench::serving {

// The parameters loaded() reads: C (with its default), T and pin, and the hosts
// (placement.hpp: host_params).
ParamSpec connections_param(const std::string& default_c);
std::vector<ParamSpec> window_params();

// The run's parameters from C, T and pin; the workload adds its own (rate, message size).
Params loaded(const ParamValues& v);
// The warm-up before a window of T: T/2, at least 100 ms and at most 200 ms (200 ms from
// T = 400 ms on). Connections open, pools and workers start and the first page faults are
// paid before the measured window.
std::chrono::milliseconds warmup_for(std::chrono::milliseconds t);

// How long a request may wait for its answer: half the window, within 250 ms to 1 s, and at
// least 1 ms per connection, so that a server getting round a thousand busy connections on
// two CPUs may take a second. At T = 200 ms and C = 1 000, 250 ms timed out a few requests of
// asio's and of the processes' thousand workers in some runs, none in others.
std::chrono::milliseconds timeout_for(std::chrono::milliseconds t, int connections);
// Seconds one run under load takes (the warm-up, T, starting and stopping), for estimates.
double window_seconds(const ParamValues& v);

// What the generator saw, checked: no wrong answer, no connection error, answers in the
// window, no timeout for a concurrent model, the server's CPU measured. `answers` and
// `requests` word it ("responses" and "requests", "echoes" and "messages"). Ok: tasks are
// the answers, and the peak in flight is the most the client had outstanding at once.
Verdict verify_load(const Result& r, const ModelInfo& m, const std::string& answers,
                    const std::string& requests);

// The figures every loaded server reports after its workload's own throughput, and their
// specs: the server's CPU per answer (`per`: "req", "msg"; `per_title`: "request",
// "message") and its utilisation, the latency percentiles, and the requests timed out.
std::vector<MetricSpec> load_metric_specs(const std::string& per, const std::string& per_title,
                                          const std::string& requests);
std::vector<std::pair<std::string, double>> load_metrics(const Result& r, const std::string& per);

}  // namespace cmbench::serving
