"""sleep_fanout in multiprocessing: a process per wait, its span sent back on a queue
(C++ twin: ../processes.cpp)."""

import multiprocessing
import time


def task(seconds, i, spans):
    start = time.monotonic_ns()
    time.sleep(seconds)
    spans.put((i, start, time.monotonic_ns()))


def prepare(params):
    return [us / 1e6 for us in params["waits_us"]]


def main(waits):
    spans = multiprocessing.SimpleQueue()
    workers = [multiprocessing.Process(target=task, args=(w, i, spans)) for i, w in enumerate(waits)]
    for p in workers:
        p.start()
    by_task = {i: (start, end) for i, start, end in (spans.get() for _ in waits)}
    for p in workers:
        p.join()
    return [by_task[i] for i in range(len(waits))]
