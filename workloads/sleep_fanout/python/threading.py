"""sleep_fanout in threading: a thread per wait, each writing its own slot, all joined
(C++ twin: ../threads.cpp)."""

import threading
import time


def task(seconds, spans, i):
    start = time.monotonic_ns()
    time.sleep(seconds)
    spans[i] = (start, time.monotonic_ns())


def prepare(params):
    return [us / 1e6 for us in params["waits_us"]]


def main(waits):
    spans = [None] * len(waits)
    threads = [threading.Thread(target=task, args=(w, spans, i)) for i, w in enumerate(waits)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return spans
