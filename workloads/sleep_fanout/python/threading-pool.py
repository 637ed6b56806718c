"""sleep_fanout with concurrent.futures: the waits submitted to a ThreadPoolExecutor with a
thread per wait (C++ twin: ../threads.cpp)."""

import time
from concurrent.futures import ThreadPoolExecutor


def task(seconds):
    start = time.monotonic_ns()
    time.sleep(seconds)
    return start, time.monotonic_ns()


def prepare(params):
    return [us / 1e6 for us in params["waits_us"]]


def main(waits):
    with ThreadPoolExecutor(max_workers=len(waits)) as pool:
        return list(pool.map(task, waits))
