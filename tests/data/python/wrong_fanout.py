"""A sleep_fanout row that does not wait: its spans last no time at all, which the workload's
verifier must refuse (tests/python_rows_test.cpp)."""

import time


def main(params):
    now = time.monotonic_ns()
    return [(now, now) for _ in params["waits_us"]]
