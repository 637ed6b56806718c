"""Not a row: the blocking client that threading-pool.py runs on threads and gevent.py on
greenlets (after monkey-patching), as ../../serving/fetch_blocking.hpp serves the C++
blocking clients. urlopen says Connection: close, so every page has a connection of its own.

A page is handed back as its bytes, in hex; the verifier digests them (rows.cpp)."""

import time
import urllib.request

# The origin is on this machine: no proxy from the environment stands between.
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url, timeout_s):
    start = time.monotonic_ns()
    with opener.open(url, timeout=timeout_s) as response:
        body = response.read()
        return start, time.monotonic_ns(), body.hex()
