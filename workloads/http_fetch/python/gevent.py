"""http_fetch with gevent: the blocking urllib client, monkey-patched, a greenlet per URL
(C++ twin: ../fibers.cpp).

After monkey.patch_all() urllib's sockets park their greenlet on the hub instead of blocking
the thread, so fetch() is the blocking client itself, blocking.py's, the one that
threading-pool.py runs on threads; the only gevent words are in main: spawn and joinall, or
a Pool(M) when M > 0, as in the C++ twin. Each fetch has its own timeout."""

from gevent import monkey

monkey.patch_all()  # before anything imports socket

import pathlib  # noqa: E402
import sys  # noqa: E402

import gevent  # noqa: E402
from gevent.pool import Pool  # noqa: E402

# blocking.py, beside this file; appended, so that no row here hides a module of that name
sys.path.append(str(pathlib.Path(__file__).parent))
from blocking import fetch  # noqa: E402  (urllib, patched by now)


def prepare(params):
    gevent.get_hub()  # the hub (libev's loop) and what it imports, before the timed region
    urls = [f"http://127.0.0.1:{params['port']}/item/{i}" for i in range(params["n"])]
    return urls, params["max_in_flight"], params["timeout_s"]


def main(prepared):
    urls, max_in_flight, timeout_s = prepared
    if max_in_flight:
        return Pool(max_in_flight).map(lambda url: fetch(url, timeout_s), urls)
    greenlets = [gevent.spawn(fetch, url, timeout_s) for url in urls]
    gevent.joinall(greenlets)
    return [g.get() for g in greenlets]  # the first failure, in URL order
