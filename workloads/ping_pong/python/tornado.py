"""ping_pong in Tornado: a Future per hand-off, resolved through IOLoop.add_callback
(C++ twin: ../futures.cpp).

Each end waits for the token in a Future of its own, its turn attached with
add_done_callback; the other end resolves it on the loop's next turn,
IOLoop.add_callback(future.set_result, token). Split: each end has its own IOLoop, on its own
pinned thread; add_callback is the one IOLoop method Tornado allows from another thread, so
the code is the same, and each hand-off now wakes the other loop. os has no sched_getcpu,
so libc's is called through ctypes."""

import asyncio
import ctypes
import os
import threading
import time

from tornado.ioloop import IOLoop

sched_getcpu = ctypes.CDLL(None).sched_getcpu


class End:
    """One end. Invariant: inbox is the Future waiting for the next token, made and resolved
    on this end's loop only."""

    def __init__(self):
        self.loop = IOLoop.current()
        self.inbox = None
        self.done = asyncio.Future()  # resolved after this end's last hand-off
        self.received = 0


class Rally:
    def __init__(self, rounds):
        self.a = self.b = None
        self.rounds = rounds
        self.start_ns = self.elapsed_ns = self.token = 0


def hand_to(end, token):
    """Resolves end's Future with the token on end's loop, at its next turn (any thread)."""
    end.loop.add_callback(lambda: end.inbox.set_result(token))


def a_turn(g, token):
    """A's turn: hand the token on, unless the rounds are over."""
    if g.a.received == g.rounds:
        g.elapsed_ns = time.monotonic_ns() - g.start_ns
        g.token = token
        g.a.done.set_result(None)
        return
    g.a.inbox = asyncio.Future()
    g.a.inbox.add_done_callback(lambda f: a_receives(g, f.result()))
    hand_to(g.b, token + 1)


def a_receives(g, token):
    g.a.received += 1
    a_turn(g, token)


def b_waits(g):
    """B waits for the token, adds one and hands it back, R times."""
    g.b.inbox = asyncio.Future()
    g.b.inbox.add_done_callback(lambda f: b_receives(g, f.result()))


def b_receives(g, token):
    g.b.received += 1
    if g.b.received < g.rounds:
        b_waits(g)
    hand_to(g.a, token + 1)
    if g.b.received == g.rounds:
        g.b.done.set_result(None)


def same(g):
    g.a, g.b = End(), End()
    b_waits(g)
    g.start_ns = time.monotonic_ns()
    a_turn(g, 0)
    return g.a.done


def b_end(g, ready, cpu):
    os.sched_setaffinity(0, {cpu})

    def start():
        g.b = End()
        b_waits(g)
        ready.set()
        return g.b.done

    IOLoop().run_sync(start)  # a new IOLoop for this thread
    g.b_cpu = sched_getcpu()


def a_end(g):
    g.a = End()
    g.start_ns = time.monotonic_ns()
    a_turn(g, 0)
    return g.a.done


def main(p):
    os.sched_setaffinity(0, {p["cpu_a"]})
    g = Rally(p["rounds"])
    if not p["split"]:
        IOLoop.current().run_sync(lambda: same(g))
        cpu = sched_getcpu()
        return [(g.token, g.a.received + g.b.received, g.elapsed_ns, cpu, cpu)]
    ready = threading.Event()
    b = threading.Thread(target=b_end, args=(g, ready, p["cpu_b"]))
    b.start()
    ready.wait()
    IOLoop.current().run_sync(lambda: a_end(g))
    b.join()
    return [(g.token, g.a.received + g.b.received, g.elapsed_ns, sched_getcpu(), g.b_cpu)]
