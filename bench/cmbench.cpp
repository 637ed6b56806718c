// cmbench: every cell of every workload in every model, in one Google Benchmark binary.
//
//   cmbench list  [--profile quick|full|exhaustive] [-w W]... [-m M]...  every cell, its limit
//   cmbench run   [--cell NAME]... [-w W]... [-m M]... [--param k=v]... [--benchmark_*...]
//                                                                   cells in this process
//   cmbench suite [--quick|--full|--exhaustive] [-w W]... [-m M]... [--out DIR] [--plan]
//                                                                   each cell in its own
//                                                                   process, then the report
//   cmbench run   --cell NAME --trace FILE                         one verified run recorded
//                                                                   as a timeline (JSON)
//   cmbench trace CELL... [--out DIR]                              timelines and their chart
//   cmbench micro [--benchmark_*...]                                runtime micro-benchmarks
//   cmbench trace-cost [--rounds R] [--min-time S] [--json FILE]    the recorder's cost
//   cmbench demo --list | SCENARIO [-m M]... [--unit D] [--out DIR]  a tutorial's scenario
//                                                                   in every model
//   cmbench lesson [-s SCENARIO]... [--unit D] [--out DIR]         every scenario in every
//                                                                   model, and the lesson
//                                                                   page built from the run
//   cmbench serve -m M [--variant hello|slow] [--seconds S] ...     one http_server, until
//                                                                   Ctrl-C (for wrk, curl)
//   cmbench env                                                     the recorded environment
//   cmbench compare [BASELINE] CANDIDATE                            two runs, cell by cell
//   cmbench history [REPORTS_DIR]                                   the runs over time
//
// A mistake in the command (unknown workload, model or parameter, a malformed value) is
// reported with the valid choices and exit status 2.
#include <benchmark/benchmark.h>
#include <signal.h>
#include <unistd.h>

#include <fmt/core.h>
#include <sched.h>
#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "catalog.hpp"
#include "harness/demo_run.hpp"
#include "harness/gbench.hpp"
#include "harness/lesson.hpp"
#include "harness/process_tuning.hpp"
#include "harness/recorded_environment.hpp"
#include "harness/suite.hpp"
#include "harness/suite_plan.hpp"
#include "harness/trace_cost.hpp"
#include "harness/trace_run.hpp"
#include "http_server/servers.hpp"
#include "micro/micro.hpp"

#ifdef CMBENCH_SELFTEST_CELLS
#include "tests/selftest/selftest.hpp"
#endif

#ifndef CMBENCH_SOURCE_DIR
#define CMBENCH_SOURCE_DIR "."
#endif

namespace fs = std::filesystem;
using namespace cmbench;

namespace {

struct Selection {
  std::string profile = "quick";
  std::vector<std::string> workloads, models, params, cells;
};

void add_selection(CLI::App* app, Selection& s, bool with_params) {
  app->add_option("-w,--workload", s.workloads, "only this workload (repeatable)");
  app->add_option("-m,--model", s.models, "only this model (repeatable)");
  if (with_params) {
    app->add_option("-p,--param", s.params,
                    "name=value for every selected workload, instead of the profile's scales");
    app->add_option("--cell", s.cells, "one cell by name, e.g. sleep_fanout/threads/N:100");
  }
}

// Every workload's cells. A build with the tests also knows the selftest cells, which
// misbehave on purpose, and adds them when CMBENCH_SELFTEST=1: the suite runner's tests set
// it, for this process and the cells' processes it starts. A user never sees them.
Catalog catalog_of_this_process() {
  Catalog c = build_catalog();
#ifdef CMBENCH_SELFTEST_CELLS
  if (const char* s = std::getenv("CMBENCH_SELFTEST"); s && std::string(s) == "1")
    selftest::register_cells(c);
#endif
  return c;
}

std::vector<Cell> select_cells(const Catalog& c, const Selection& s) {
  std::vector<Cell> cells;
  for (const auto& name : s.cells) cells.push_back(c.parse_cell(name));
  if (!s.cells.empty()) return cells;
  auto profile = parse_profile(s.profile);
  if (s.params.empty()) return c.select(profile, s.workloads, s.models);
  // Explicit parameters: one cell per selected implementation.
  for (const auto& cell : c.select(profile, s.workloads, s.models)) {
    Cell one{cell.impl, parse_params(cell.workload().params, s.params)};
    if (one.impl->not_applicable && !one.impl->not_applicable(one.params).empty()) continue;
    bool seen = false;
    for (const auto& have : cells) seen = seen || (have.impl == one.impl);
    if (!seen) cells.push_back(one);
  }
  return cells;
}

// Runs one http_server until SIGINT or SIGTERM (or `seconds`), printing its address first.
int serve(const std::string& label, const std::string& variant, int workers, double idle_s,
          double seconds) {
  const auto& server = http_server::server(label);
  if (variant != "hello" && variant != "slow")
    throw BadInput("unknown variant '" + variant + "'; valid: hello, slow");
  http_server::Config config;
  config.variant = variant == "slow" ? http_server::Variant::slow : http_server::Variant::hello;
  if (config.variant == http_server::Variant::slow && !server.has_slow_variant)
    throw BadInput(label + " has no slow variant");
  config.workers = workers;
  config.idle_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(idle_s));
  // Blocked before any thread or worker starts, so only sigtimedwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  http_server::serve_until(
      server.serve, config,
      [&](std::uint16_t port) {
        std::cout << fmt::format("http_server/{} ({}) on http://127.0.0.1:{}/ : Ctrl-C stops it\n",
                                 label, variant, port)
                  << std::flush;
      },
      [&] {
        timespec limit{static_cast<time_t>(seconds),
                       static_cast<long>((seconds - static_cast<time_t>(seconds)) * 1e9)};
        while (sigtimedwait(&stop_signals, nullptr, seconds > 0 ? &limit : nullptr) < 0 &&
               errno == EINTR) {
        }
      });
  std::cout << "stopped\n";
  return 0;
}

// The demos' --unit ("1s", "100ms"): BadInput when malformed or out of range.
std::chrono::milliseconds demo_unit_of(const std::string& text) {
  const ParamSpec unit_spec{"unit", ParamKind::duration, "1s", "", 1000, 3'600'000'000};
  const auto unit = ParamValues({{"unit", canonical_value(unit_spec, text)}}).duration("unit");
  return std::chrono::duration_cast<std::chrono::milliseconds>(unit);
}

// Traces each cell into its own JSON file; 0 if every traced run verified, else 1.
int trace_cells(const std::vector<Cell>& cells, const std::vector<std::string>& paths,
                std::uint64_t capacity) {
  int status = 0;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    TraceOutcome t = trace_cell(cells[i], paths[i], capacity);
    if (t.ok) {
      std::cout << fmt::format("{}: {}\n  {}\n", cells[i].name(), paths[i], describe(t));
    } else {
      std::cerr << fmt::format("{}: FAILED: {}\n", cells[i].name(), t.why);
      status = 1;
    }
  }
  return status;
}

// Draws the charts: one per trace, and one of them all stacked when there are several.
int draw_timelines(const std::vector<std::string>& jsons, const fs::path& dir) {
  bool ok = true;
  for (const auto& j : jsons)
    ok = draw_timeline_chart({j}, fs::path(j).replace_extension().string()) && ok;
  if (jsons.size() > 1) ok = draw_timeline_chart(jsons, (dir / "timelines").string()) && ok;
  return ok ? 0 : 1;
}

int list_cells(const std::vector<Cell>& cells) {
  std::cout << fmt::format("{:<48} {:<12} {:>10}  {}\n", "cell", "model", "est. s/run", "limit");
  for (const auto& c : cells) {
    auto note = c.beyond_limit()
                    ? "BEYOND MODEL LIMIT (" + std::to_string(c.impl->bounds().max_tasks) + ")"
                    : std::string("ok");
    std::cout << fmt::format("{:<48} {:<12} {:>10.3f}  {}\n", c.name(), c.model().name,
                             c.estimate_seconds(), note);
  }
  return 0;
}

// The subcommands that are scripts of their own: `cmbench compare ...` is
// `/usr/bin/python3 scripts/compare.py ...`, its arguments and exit status as they are.
bool is_script_command(const char* name) {
  return std::strcmp(name, "compare") == 0 || std::strcmp(name, "history") == 0;
}

// Replaces this process with the script of the subcommand argv[1] (is_script_command).
int run_script_command(int argc, char** argv) {
  std::string script = std::string(CMBENCH_SOURCE_DIR) + "/scripts/" + argv[1] + ".py";
  std::string python = "/usr/bin/python3";
  std::vector<char*> args{python.data(), script.data()};
  for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  execv(args[0], args.data());
  std::cerr << "cmbench " << argv[1] << ": cannot run " << python << " " << script << ": "
            << std::strerror(errno) << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // Google Benchmark takes its own --benchmark_* flags; everything else is ours. Only its
  // flags reach Initialize, so that `--help` is ours too.
  std::vector<char*> bench_args = {argv[0]}, our_args = {argv[0]};
  for (int i = 1; i < argc; ++i)
    (std::strncmp(argv[i], "--benchmark_", 12) == 0 ? bench_args : our_args).push_back(argv[i]);

  restart_confined(argc, argv);  // --confine-to-cpu: confined before any library loads
  if (argc >= 2 && is_script_command(argv[1])) return run_script_command(argc, argv);

  CLI::App app{"cmbench: the same workloads in several concurrency models, one harness"};
  app.require_subcommand(1);
  app.fallthrough();  // --timer-slack-ns is accepted after the subcommand too
  long slack_ns = 1;
  app.add_option("--timer-slack-ns", slack_ns,
                 "timer slack for every thread and process of the cells (default 1 ns)")
      ->check(CLI::Range(1L, 100'000'000L));

  int confine_cpu = -1;
  app.add_option("--confine-to-cpu", confine_cpu,
                 "run this process, its threads and its children on this CPU only (what "
                 "`suite --cpus 1` gives each cell)")
      ->check(CLI::Range(0, CPU_SETSIZE - 1));

  Selection list_sel, run_sel, suite_sel;
  auto* list = app.add_subcommand("list", "every cell of a profile, with its model limit");
  list->add_option("--profile", list_sel.profile, "quick, full or exhaustive");
  add_selection(list, list_sel, false);

  auto* run =
      app.add_subcommand("run", "run cells in this process (Google Benchmark flags pass through)");
  run->add_option("--profile", run_sel.profile, "quick, full or exhaustive");
  add_selection(run, run_sel, true);
  std::string trace_file;
  run->add_option("--trace", trace_file,
                  "record one verified run (after the warm-up) of the one selected cell as a "
                  "timeline: Chrome Trace Event JSON for ui.perfetto.dev");
  std::uint64_t trace_capacity = trace::default_capacity;
  app.add_option("--trace-capacity", trace_capacity,
                 "events a timeline may hold; past it, events are dropped and counted")
      ->check(CLI::Range(std::uint64_t{4096}, std::uint64_t{1} << 28));

  std::vector<std::string> trace_names;
  std::string trace_out = ".";
  bool trace_no_chart = false;
  auto* trace_cmd = app.add_subcommand(
      "trace", "record one run of each cell as a timeline and draw it (docs/timelines.md)");
  trace_cmd->add_option("cells", trace_names, "cells by name, e.g. sleep_fanout/threads/N:3")
      ->required();
  trace_cmd->add_option("--out", trace_out, "where the JSON and the charts go (default: .)");
  trace_cmd->add_flag("--no-chart", trace_no_chart, "write the JSON only");

  SuiteOptions so;
  bool full = false;
  std::string out = std::string(CMBENCH_SOURCE_DIR) + "/reports";
  auto* suite = app.add_subcommand("suite", "each cell in its own process, then the report");
  bool quick = false;
  suite->add_flag("--quick", quick, "the quick profile (default): about 3 minutes on 2 cores");
  suite->add_flag("--full", full,
                  "the full profile: every workload's curve, about 16 minutes on 2 cores");
  bool exhaustive = false;
  suite->add_flag("--exhaustive", exhaustive,
                  "every scale the workloads declare, 10 repetitions of 0.5 s: hours");
  add_selection(suite, suite_sel, false);
  suite->add_option("--out", out, "runs land in OUT/<timestamp>/ (default: reports/)");
  std::string cpus_text;
  suite->add_option("--cpus", cpus_text,
                    "the CPUs each cell may use: 1 (confined to one), all, or both (each cell "
                    "twice); default: all, and sleep_fanout and cpu_bound on 1 too");
  suite
      ->add_option(
          "--repetitions", so.repetitions,
          "repetitions per cell (default: quick 3, full 9, exhaustive 10; at least 3 for long "
          "cells)")
      ->check(CLI::Range(1, 1000));
  suite->add_option("--min-time", so.min_time_s, "minimum seconds per repetition")
      ->check(CLI::Range(0.001, 600.0));
  suite->add_option("--timeout", so.timeout_s, "time limit per cell in seconds (default: derived)")
      ->check(CLI::Range(1.0, 86400.0));
  bool no_micro = false;
  suite->add_flag("--no-micro", no_micro, "skip the runtimes' micro-benchmarks");
  bool no_timelines = false;
  suite->add_flag("--no-timelines", no_timelines,
                  "skip recording each workload's timeline per model (docs/timelines.md)");
  bool no_report = false;
  suite->add_flag("--no-report", no_report, "write results.json only");
  bool plan_only = false;
  suite->add_flag("--plan", plan_only,
                  "print every planned cell (repetitions, expected seconds) and each "
                  "workload's total, then exit without running anything");

  auto* micro = app.add_subcommand(
      "micro", "micro-benchmarks of the runtimes beside their floors and peers (ns per operation)");
  app.add_subcommand("env", "print the environment recorded with every result");
  auto* compare_cmd = app.add_subcommand(
      "compare",
      "compare two runs cell by cell: [BASELINE] CANDIDATE, a U test and a verdict per cell "
      "(scripts/compare.py; its --help has the options; docs/compare.md)");
  auto* history_cmd =
      app.add_subcommand("history",
                         "draw the headline figures of every recorded run over time: [REPORTS_DIR] "
                         "(scripts/history.py; docs/history.md)");
  // Listed for --help; main() hands `compare ...` and `history ...` to their scripts.
  (void)compare_cmd;
  (void)history_cmd;
  TraceCostOptions tco;
  auto* trace_cost_cmd = app.add_subcommand(
      "trace-cost", "the trace recorder's cost: off vs built without it, and per event on");
  trace_cost_cmd->add_option("--rounds", tco.rounds, "A B rounds (default 5)")
      ->check(CLI::Range(1, 1000));
  trace_cost_cmd->add_option("--min-time", tco.min_time_s, "--benchmark_min_time (default 0.5)")
      ->check(CLI::Range(0.001, 600.0));
  trace_cost_cmd->add_option("--json", tco.json_path, "also write the numbers here");

  DemoOptions demo;
  std::string demo_name, demo_unit = "1s";
  bool demo_list = false, demo_no_chart = false;
  auto* demo_cmd = app.add_subcommand(
      "demo", "a tutorial's scenario run in every model, printed as it happens (docs/teaching.md)");
  demo_cmd->add_option("scenario", demo_name, "three_tasks, order, ... (see --list)");
  demo_cmd->add_flag("--list", demo_list, "the scenarios and their models");
  demo_cmd->add_option("-m,--model", demo.models, "only this model (repeatable)");
  demo_cmd->add_option("--unit", demo_unit, "the tutorials' second: 1s (default), 100ms, ...");
  demo_cmd->add_option("--out", demo.out,
                       "where the timelines, the chart and the transcript go (default: "
                       "cmbench-demo)");
  demo_cmd->add_flag("--no-chart", demo_no_chart, "write the timelines, not the chart");

  LessonOptions lesson;
  std::string lesson_unit = "1s";
  auto* lesson_cmd = app.add_subcommand(
      "lesson",
      "every scenario in every model, and the page a teacher projects: lesson.html and "
      "lesson.md (docs/teaching.md)");
  lesson_cmd->add_option("-s,--scenario", lesson.scenarios,
                         "only this scenario (repeatable; default: all, see demo --list)");
  lesson_cmd->add_option("--unit", lesson_unit, "the tutorials' second: 1s (default), 100ms, ...");
  lesson_cmd->add_option("--out", lesson.out,
                         "where the runs and the page go (default: cmbench-lesson)");

  std::string serve_label, serve_variant = "hello";
  double serve_seconds = 0;
  int serve_workers = 64;
  double serve_idle_s = 10;
  auto* serve_cmd = app.add_subcommand(
      "serve",
      "run one http_server on 127.0.0.1 until Ctrl-C, for wrk or curl (docs/http_server.md)");
  serve_cmd
      ->add_option("-m,--model", serve_label, "a model or reference: fibers, nginx-2workers, ...")
      ->required();
  serve_cmd->add_option("--variant", serve_variant, "hello (default) or slow (1 ms per request)");
  serve_cmd
      ->add_option("--workers", serve_workers,
                   "worker processes or threads, for the servers that have them (default 64)")
      ->check(CLI::Range(1, 4096));
  serve_cmd
      ->add_option("--idle-timeout", serve_idle_s,
                   "seconds a connection may stay silent before it is closed (default 10)")
      ->check(CLI::Range(0.01, 3600.0));
  serve_cmd->add_option("--seconds", serve_seconds, "stop after this long (default: at Ctrl-C)")
      ->check(CLI::Range(0.0, 86400.0));

  try {
    app.parse(static_cast<int>(our_args.size()), our_args.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    if (app.get_subcommands().empty()) {  // none given, or a word that is none of them
      std::string names;
      for (const auto* s : app.get_subcommands([](const CLI::App*) { return true; }))
        names += (names.empty() ? "" : ", ") + s->get_name();
      std::cerr << "cmbench: valid commands: " << names << "\n";
    }
    return 2;
  }
  set_timer_slack(slack_ns);

  try {
    if (confine_cpu >= 0) confine_to_cpu(confine_cpu);
    const Catalog catalog = catalog_of_this_process();
    if (list->parsed()) {
      return list_cells(
          catalog.select(parse_profile(list_sel.profile), list_sel.workloads, list_sel.models));
    }
    if (serve_cmd->parsed())
      return serve(serve_label, serve_variant, serve_workers, serve_idle_s, serve_seconds);
    if (demo_cmd->parsed()) {
      if (demo_list) {
        list_demos(std::cout);
        return 0;
      }
      if (demo_name.empty()) throw BadInput("demo: name a scenario (cmbench demo --list)");
      demo.unit = demo_unit_of(demo_unit);
      demo.chart = !demo_no_chart;
      return run_demo(demo_name, demo);
    }
    if (lesson_cmd->parsed()) {
      lesson.unit = demo_unit_of(lesson_unit);
      return run_lesson(lesson);
    }
    if (trace_cost_cmd->parsed()) return trace_cost(tco);
    if (trace_cmd->parsed()) {
      std::vector<Cell> cells;
      std::vector<std::string> paths;
      fs::create_directories(trace_out);
      for (const auto& name : trace_names) {
        cells.push_back(catalog.parse_cell(name));
        paths.push_back(
            (fs::path(trace_out) / (file_stem(cells.back().name()) + ".json")).string());
      }
      int status = trace_cells(cells, paths, trace_capacity);
      if (status == 0 && !trace_no_chart) status = draw_timelines(paths, trace_out);
      return status;
    }
    if (run->parsed() && !trace_file.empty()) {
      auto cells = select_cells(catalog, run_sel);
      if (cells.size() != 1)
        throw BadInput("--trace records one cell; this selection has " +
                       std::to_string(cells.size()) + " (name one with --cell)");
      return trace_cells(cells, {trace_file}, trace_capacity);
    }
    if (app.got_subcommand("env")) {
      for (const auto& [k, v] : environment()) std::cout << k << ": " << v << "\n";
      return 0;
    }
    if (run->parsed() || micro->parsed()) {
      keep_freed_memory();
      for (const auto& [k, v] : environment()) benchmark::AddCustomContext(k, v);
      int bargc = static_cast<int>(bench_args.size());
      benchmark::Initialize(&bargc, bench_args.data());
      if (benchmark::ReportUnrecognizedArguments(bargc, bench_args.data())) return 2;
      if (micro->parsed()) {
        micro::register_reactor();
        micro::register_futures();
        micro::register_coroutine_references();
        micro::register_fiber_references();
        micro::register_fibers();
        micro::register_coroutines();
        micro::register_trace();
      } else {
        register_benchmarks(select_cells(catalog, run_sel));
      }
      // None ran: a --benchmark_filter that matches nothing, or is no regular expression
      // (Google Benchmark said which above).
      const std::size_t ran = benchmark::RunSpecifiedBenchmarks();
      benchmark::Shutdown();
      if (ran == 0) {
        std::cerr << "cmbench: no benchmark ran (--benchmark_filter: see above)\n";
        return 2;
      }
      return failed_benchmarks() == 0 ? 0 : 1;
    }
    if (quick + full + exhaustive > 1)
      throw BadInput("--quick, --full and --exhaustive exclude each other");
    so.profile = exhaustive ? Profile::exhaustive : full ? Profile::full : Profile::quick;
    if (!cpus_text.empty()) so.cpus = parse_cpu_choice(cpus_text);
    so.workloads = suite_sel.workloads;
    so.models = suite_sel.models;
    if (out.empty()) throw BadInput("--out: an empty path; name the directory runs land in");
    so.out = fs::absolute(out);
    so.timer_slack_ns = slack_ns;
    // Micro-benchmarks belong to a whole run, not to a selection of workloads or models.
    so.micro = !no_micro && suite_sel.workloads.empty() && suite_sel.models.empty();
    so.timelines = !no_timelines;
    so.executable = fs::canonical("/proc/self/exe");
    if (!no_report) so.report_script = fs::path(CMBENCH_SOURCE_DIR) / "scripts" / "report.py";
    if (plan_only) {
      const SuitePlan plan = plan_suite(catalog, so);
      print_plan_cells(plan, std::cout);
      print_plan(plan, so);
      return 0;
    }
    auto r = run_suite(catalog, so);
    if (r.interrupted) {
      std::cerr << "interrupted: the partial run was removed\n";
      return 130;
    }
    std::cout << fmt::format(
        "cells: {} ok, {} failed, {} crashed, {} timed out, {} beyond model limit{}\n", r.ok,
        r.failed, r.crashed, r.timeout, r.beyond_limit,
        r.unavailable ? fmt::format(", {} not available here", r.unavailable) : "");
    if (std::ifstream summary(r.run_dir / "summary.txt"); summary)
      std::cout << "\n" << summary.rdbuf() << "\n";
    std::cout << "report: " << (r.run_dir / (no_report ? "results.json" : "report.html")).string()
              << "\n";
    std::cout << fmt::format(
        "took {} (cells {}, micro-benchmarks {}, timelines {}, report {}); expected {}\n",
        clock_text(r.seconds), clock_text(r.cells_s), clock_text(r.micro_s),
        clock_text(r.timelines_s), clock_text(r.report_s), clock_text(r.expected_s()));
    if (r.timelines_failed) std::cout << r.timelines_failed << " timelines failed\n";
    return (r.failed + r.crashed + r.timeout) == 0 && !r.report_failed && !r.micro_failed &&
                   r.timelines_failed == 0
               ? 0
               : 1;
  } catch (const BadInput& e) {
    std::cerr << "cmbench: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "cmbench: error: " << e.what() << "\n";
    return 1;
  }
}
