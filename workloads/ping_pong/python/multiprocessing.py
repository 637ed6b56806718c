"""ping_pong with multiprocessing: a Process as B and a Pipe between the ends
(C++ twin: ../processes.cpp).

The token travels through the Pipe (a socket pair, each message pickled); each end blocks in
recv() until it arrives, adds one and send()s it back. B reports the hand-offs it received
and the CPU it ran on through the same Pipe, which A reads before it joins B. os has no
sched_getcpu, so libc's is called through ctypes."""

import ctypes
import multiprocessing
import os
import time

sched_getcpu = ctypes.CDLL(None).sched_getcpu


def pong(conn, rounds, cpu):
    os.sched_setaffinity(0, {cpu})
    conn.send(0)  # pinned and ready: not a hand-off
    received = 0
    for _ in range(rounds):
        token = conn.recv()
        received += 1
        conn.send(token + 1)
    conn.send((received, sched_getcpu()))


def main(p):
    os.sched_setaffinity(0, {p["cpu_a"]})
    a_conn, b_conn = multiprocessing.Pipe()
    b = multiprocessing.Process(target=pong, args=(b_conn, p["rounds"], p["cpu_b"]))
    b.start()
    a_conn.recv()
    token, received = 0, 0
    start = time.monotonic_ns()
    for _ in range(p["rounds"]):
        a_conn.send(token + 1)
        token = a_conn.recv()
        received += 1
    elapsed = time.monotonic_ns() - start
    cpu_a = sched_getcpu()
    b_received, cpu_b = a_conn.recv()
    b.join()
    return [(token, received + b_received, elapsed, cpu_a, cpu_b)]
