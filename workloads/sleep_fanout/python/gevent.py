"""sleep_fanout in gevent: a greenlet per wait, joined (C++ twin: ../fibers.cpp)."""

import time

import gevent


def task(seconds):
    start = time.monotonic_ns()
    gevent.sleep(seconds)
    return start, time.monotonic_ns()


def prepare(params):
    gevent.get_hub()  # the hub (libev's loop) and what it imports, before the timed region
    return [us / 1e6 for us in params["waits_us"]]


def main(waits):
    greenlets = [gevent.spawn(task, w) for w in waits]
    gevent.joinall(greenlets, raise_error=True)
    return [g.value for g in greenlets]
