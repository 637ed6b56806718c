"""ping_pong in gevent: two greenlets and two gevent Queues, one each way
(C++ twin: ../fibers.cpp).

Each end get()s from its own queue as if it blocked, adds one and put()s the token in the
other's; the put makes the waiting greenlet ready, and the hub switches to it when the
putter blocks in its own get(). Split: each end runs on its own hub, in its own pinned
thread (gevent gives every thread a hub of its own), and hands the token over with the other
hub's loop.run_callback_threadsafe (a put_nowait run there), which wakes that hub's loop.
os has no sched_getcpu, so libc's is called through ctypes."""

import ctypes
import os
import threading
import time

import gevent
from gevent.queue import Queue

sched_getcpu = ctypes.CDLL(None).sched_getcpu


def rally(rounds):
    there, back = Queue(1), Queue(1)
    counts = {"b": 0}

    def pong():
        for _ in range(rounds):
            token = there.get()
            counts["b"] += 1
            back.put(token + 1)

    b = gevent.spawn(pong)
    token, received = 0, 0
    start = time.monotonic_ns()
    for _ in range(rounds):
        there.put(token + 1)
        token = back.get()
        received += 1
    elapsed = time.monotonic_ns() - start
    b.join()
    cpu = sched_getcpu()
    return token, received + counts["b"], elapsed, cpu, cpu


class End:
    """One end on its own hub; its inbox is used on that hub only."""

    def __init__(self):
        self.hub = gevent.get_hub()
        self.inbox = Queue()
        self.received = 0
        self.cpu = -1
        # A hub with nothing to watch ends its loop and raises LoopExit in a greenlet that
        # waits; a started async watcher keeps it waiting for the other thread's call.
        self.alive = self.hub.loop.async_()
        self.alive.start(lambda: None)

    def hand(self, token):  # called from the other end's thread
        self.hub.loop.run_callback_threadsafe(self.inbox.put_nowait, token)


def pong_end(ends, ready, rounds, cpu):
    os.sched_setaffinity(0, {cpu})
    b = ends["b"] = End()
    ready.set()
    for _ in range(rounds):
        token = b.inbox.get()
        b.received += 1
        ends["a"].hand(token + 1)
    b.cpu = sched_getcpu()
    b.alive.close()


def split(p):
    ends, ready = {}, threading.Event()
    b_thread = threading.Thread(target=pong_end, args=(ends, ready, p["rounds"], p["cpu_b"]))
    b_thread.start()
    ready.wait()
    a = ends["a"] = End()
    b = ends["b"]
    token = 0
    start = time.monotonic_ns()
    for _ in range(p["rounds"]):
        b.hand(token + 1)
        token = a.inbox.get()
        a.received += 1
    elapsed = time.monotonic_ns() - start
    a.alive.close()
    b_thread.join()
    return token, a.received + b.received, elapsed, sched_getcpu(), b.cpu


def prepare(params):
    gevent.get_hub()  # the hub (libev's loop) and what it imports, before the timed region
    return params


def main(p):
    os.sched_setaffinity(0, {p["cpu_a"]})
    return [split(p) if p["split"] else rally(p["rounds"])]
