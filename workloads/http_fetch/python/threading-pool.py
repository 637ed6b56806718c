"""http_fetch with concurrent.futures: the blocking urllib client on a ThreadPoolExecutor,
a worker per URL, or M workers when M > 0 (C++ twin: ../threads.cpp).

A thread blocked in recv holds no GIL, so the fetches' waits overlap; reading and parsing
each response is Python code, one thread at a time. Each fetch has its own timeout.
fetch() is blocking.py's, which gevent.py runs on greenlets."""

import pathlib
import sys
from concurrent.futures import ThreadPoolExecutor

# blocking.py, beside this file; appended, so that no row here hides a module of that name
sys.path.append(str(pathlib.Path(__file__).parent))
from blocking import fetch  # noqa: E402


def prepare(params):
    urls = [f"http://127.0.0.1:{params['port']}/item/{i}" for i in range(params["n"])]
    return urls, params["max_in_flight"] or max(1, len(urls)), params["timeout_s"]


def main(prepared):
    urls, workers, timeout_s = prepared
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # map raises the first failure in URL order; leaving the block joins the workers.
        return list(pool.map(lambda url: fetch(url, timeout_s), urls))
