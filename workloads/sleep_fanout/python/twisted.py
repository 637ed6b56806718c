"""sleep_fanout in Twisted: a deferLater per wait, gathered (C++ twin: ../callbacks.cpp)."""

import time

from twisted.internet import defer, reactor, task  # importing reactor installs it (epoll)


def fan_out(reactor, waits):
    deferreds = []
    for seconds in waits:
        start = time.monotonic_ns()  # the task starts when it is scheduled
        deferreds.append(task.deferLater(reactor, seconds, lambda s=start: (s, time.monotonic_ns())))
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
