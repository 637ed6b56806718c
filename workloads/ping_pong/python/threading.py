"""ping_pong with threading: two threads and a threading.Condition (C++ twin: ../threads.cpp).

The token lives under the Condition's lock with a note of whose turn it is; each end waits
on the Condition until the turn is its own, adds one, hands the turn over and notifies. On
top of the futex wake the C++ twin pays, a Python hand-off also passes the GIL, and
Condition.wait sleeps on a lock allocated for each wait. os has no sched_getcpu, so libc's is
called through ctypes."""

import ctypes
import os
import threading
import time

sched_getcpu = ctypes.CDLL(None).sched_getcpu


class Table:
    """Invariant: turn names the end that holds the token; only that end touches it."""

    def __init__(self):
        self.changed = threading.Condition()
        self.token = 0
        self.handoffs = 0
        self.turn = "a"

    def pass_to(self, to):
        with self.changed:
            self.token += 1
            self.turn = to
            self.changed.notify()

    def receive(self, me):
        with self.changed:
            self.changed.wait_for(lambda: self.turn == me)
            self.handoffs += 1


def pong(table, rounds, cpu, cpus):
    os.sched_setaffinity(0, {cpu})
    for _ in range(rounds):
        table.receive("b")
        table.pass_to("a")
    cpus["b"] = sched_getcpu()


def main(p):
    os.sched_setaffinity(0, {p["cpu_a"]})
    table, cpus = Table(), {}
    b = threading.Thread(target=pong, args=(table, p["rounds"], p["cpu_b"], cpus))
    b.start()
    start = time.monotonic_ns()
    for _ in range(p["rounds"]):
        table.pass_to("b")
        table.receive("a")
    elapsed = time.monotonic_ns() - start
    cpu_a = sched_getcpu()
    b.join()
    return [(table.token, table.handoffs, elapsed, cpu_a, cpus["b"])]
