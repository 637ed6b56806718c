"""sleep_fanout in Twisted: a deferLater per wait, gathered (C++ twin: ../callbacks.cpp)."""

import time

from twisted.internet import defer, task
from twisted.internet import reactor  # noqa: F401 -- installs the epoll reactor, untimed


def fan_out(reactor, waits):
    deferreds = []
    for seconds in waits:
        start = time.monotonic_ns()  # the task starts when it is scheduled
        span = lambda start=start: (start, time.monotonic_ns())  # noqa: E731
        deferreds.append(task.deferLater(reactor, seconds, span))
    return defer.gatherResults(deferreds)


def prepare(params):
    return [us / 1e6 for us in params["waits_us"]]


def main(waits):
    spans = []

    def run(reactor):
        return fan_out(reactor, waits).addCallback(spans.extend)

    try:
        task.react(run)  # runs the reactor until run's Deferred fires, then stops it
    except SystemExit as end:  # react() ends the process's reactor with sys.exit
        if end.code:
            raise RuntimeError(f"the reactor stopped with status {end.code}") from end
    return spans
