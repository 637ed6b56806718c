"""fetch_and_process's kernel in Python, for every Python row of the workload: the same
function as work() in ../spec.cpp, step for step, so that the C++ verifier recomputes what a
Python consumer computed.

Python's integers have no fixed width: each step masks its product to 64 bits, which the
C++ unsigned arithmetic does by itself. A step costs ≈ 100-300 ns here, two orders of
magnitude above the C++ one, so a Python row is not asked for the C++ row's rounds but for
the rounds that take c of CPU in Python (rows.cpp measures them with calibrate.py)."""

import time

MASK = (1 << 64) - 1


def digest(body):
    """The page's length and its 64-bit FNV-1a checksum, as serving::digest_of computes it."""
    checksum = 0xCBF29CE484222325
    for byte in body:
        checksum = ((checksum ^ byte) * 0x100000001B3) & MASK
    return len(body), checksum


def work(index, body, rounds):
    """`rounds` steps of one dependent chain, seeded by the page's digest and index."""
    length, checksum = digest(body)
    x = checksum ^ (length << 32) ^ index
    for _ in range(rounds):
        x = (x * 0x5851F42D4C957F2D + 0x14057B7EF767814F) & MASK
        x ^= x >> 29
    return x


def process(page, rounds):
    """What a consumer does with a page (index, body, fetch start, fetch end): its work,
    and when it finished."""
    index, body, start, end = page
    return index, work(index, body, rounds), start, end, time.monotonic_ns()
