"""ping_pong in Twisted: a Deferred per round (C++ twin: ../callbacks.cpp).

A makes the round's Deferred with B's turn as its first callback and its own receipt as the
second, and fires it: a Deferred runs its callbacks inside callback(), so the token goes to
B and back with no trip through the reactor, which is how Twisted code passes a value on
when nothing has to wait. There is no split: twisted.internet.reactor is one reactor per
process, installed once, so the other end's thread has no reactor of its own to be woken
through callFromThread (the cell says so). os has no sched_getcpu, so libc's is called
through ctypes."""

import ctypes
import os
import time

from twisted.internet import defer, reactor, task  # importing reactor installs it (epoll)

sched_getcpu = ctypes.CDLL(None).sched_getcpu


def b_turn(token, counts):
    counts["b"] += 1
    return token + 1


def a_receives(token, counts):
    counts["a"] += 1
    counts["token"] = token


def rally(rounds, counts):
    start = time.monotonic_ns()
    for _ in range(rounds):
        round_trip = defer.Deferred()
        round_trip.addCallback(b_turn, counts)
        round_trip.addCallback(a_receives, counts)
        round_trip.callback(counts["token"] + 1)
    counts["elapsed"] = time.monotonic_ns() - start


def main(p):
    os.sched_setaffinity(0, {p["cpu_a"]})
    counts = {"a": 0, "b": 0, "token": 0}

    def run(reactor):
        rally(p["rounds"], counts)
        return defer.succeed(None)

    try:
        task.react(run)  # runs the reactor until run's Deferred fires, then stops it
    except SystemExit as end:  # react() ends the process's reactor with sys.exit
        if end.code:
            raise RuntimeError(f"the reactor stopped with status {end.code}") from end
    cpu = sched_getcpu()
    return [(counts["token"], counts["a"] + counts["b"], counts["elapsed"], cpu, cpu)]
