"""Not a row: how long one step of kernel.work takes in this interpreter, which rows.cpp
turns into the rounds a Python row does for c of CPU. The best of a few timed batches, as
rounds_for in ../spec.cpp measures the C++ kernel: the fastest batch is the one least
disturbed by the other processes of a shared machine."""

import pathlib
import sys
import time

# kernel.py, beside this file; appended, so that no row here hides a module of that name
sys.path.append(str(pathlib.Path(__file__).parent))
import kernel  # noqa: E402

BATCH = 1 << 13


def main(params):
    best = min(timed_batch() for _ in range(5))
    return [round(best * 1000 / BATCH)]  # picoseconds per step


def timed_batch():
    start = time.perf_counter_ns()
    kernel.work(0, b"", BATCH)
    return time.perf_counter_ns() - start
