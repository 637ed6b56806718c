"""Not a row: the blocking fetch that threading.py runs on threads and multiprocessing.py in
processes, as ../../serving/fetch_blocking.hpp serves the C++ blocking clients. urlopen says
Connection: close, so every page has a connection of its own."""

import time
import urllib.request

# The origin is on this machine: no proxy from the environment stands between.
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url, index, timeout_s):
    """The page (index, body, fetch start, fetch end), read within timeout_s per call."""
    start = time.monotonic_ns()
    with opener.open(url, timeout=timeout_s) as response:
        body = response.read()
        return index, body, start, time.monotonic_ns()
