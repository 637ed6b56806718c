"""The report of one cmbench run (scripts/report.py is its command).

Read top down, each module using only those above it:
  results     results.json joined into cells: verdict, repetitions, counters, metrics
  groups      a workload's cells in parameter groups; speed-ups and ratios between rows
  formatting  numbers and statuses as the tables, the charts and the terminal print them
  style       the look every chart shares, the timelines' too (timeline.py imports it)
  charts      the charts of one group, as PNG bytes
  charts_v2   the charts against an ideal: speed-up, efficiency, memory, CPU, latency
  views       how a group is shown: timed by wall time, or by the workload's own metrics
  sections    the report as a list of blocks; one pipeline for every group
  model_card  the table that opens the report: a row per model, figures from this run
  headline    the four charts under the card: waiting, computing, serving, spawning
  render      the blocks as Markdown and as HTML
  files       results.csv, and every file written whole or not at all (timelines too)
  terminal    the short table printed after a run
  stability   warnings about the run itself: spread, load, the VM's speed bands
  history     the runs' history (history.jsonl beside the runs) and its charts
  main        the command
  compare     two runs side by side: a verdict per cell (scripts/compare.py is its command)

Why it is shaped this way:
- Median, spread and speed-up are computed here from the per-repetition entries, so they
  mean the same for every cell whatever aggregates the benchmark binary was asked for.
- Markdown and HTML are rendered from one list of blocks, so the two cannot drift apart.
- Every file is written under a temporary name and then renamed: an interrupted run leaves
  the previous file in place, never half of a new one.
- Partial data is normal (a crash, a timeout, a model beyond its limit, no sequential
  cell): the report says what is missing and goes on.
- A workload that runs for a fixed time (a server under load) declares its own figures,
  its `metrics`; the report shows those, beside the reference servers, and never its wall
  time or a speed-up, which its parameters alone decide. Which of the two a group gets is
  its view's business; the rest of a group's pipeline is shared.
- This module imports nothing, so that timeline.py can take the style alone.
"""
