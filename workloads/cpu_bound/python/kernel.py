"""The CPU kernel every Python row of cpu_bound runs, written once (C++: ../kernel.hpp):
count the primes in [lo, hi) by trial division, the same loop as the C++ kernel's.

A row imports it as a module: workloads/python/row.py appends the row's folder to sys.path
(appended, so that `import threading` in threading.py still finds the standard library's
module, not the row itself). Here a number near 10^9 costs ≈ 33 µs, a chunk of 3 000
numbers ≈ 0.1 s: CPython runs the kernel ≈ 20 times slower than the C++ build, the whole of it under the GIL.
"""

import time


def is_prime(n):
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    f = 3
    while f * f <= n:
        if n % f == 0:
            return False
        f += 2
    return True


def count_primes(lo, hi):
    return sum(1 for n in range(lo, hi) if is_prime(n))


def run_chunk(chunk):
    """Runs the kernel on one chunk (lo, hi) and records when: what every row's task does.
    Returns (primes, start_ns, end_ns) on CLOCK_MONOTONIC, the C++ models' clock."""
    start = time.monotonic_ns()
    primes = count_primes(*chunk)
    return primes, start, time.monotonic_ns()


def chunks(params):
    """The parameters' chunks as (lo, hi) pairs."""
    return list(zip(params["lo"], params["hi"]))
