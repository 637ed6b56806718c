"""spawn_many in gevent: each task a greenlet spawned with its function; joinall waits for
them and .value reads each result. A skynet node is a greenlet that spawns its ten
children, joins them and sums their values (C++ twin: ../fibers.cpp). A spawned greenlet
starts at the hub's next turn, so every greenlet of a run is spawned before the first one
runs: skynet holds the whole tree at once."""

import gevent


def task(i):
    return i


def flat(n):
    tasks = [gevent.spawn(task, i) for i in range(n)]
    gevent.joinall(tasks, raise_error=True)
    return [t.value for t in tasks]


def skynet(num, depth):
    if depth == 0:
        return num
    children = [gevent.spawn(skynet, num * 10 + i, depth - 1) for i in range(10)]
    gevent.joinall(children, raise_error=True)
    return sum(child.value for child in children)


def prepare(params):
    gevent.get_hub()  # the hub (libev's loop) and what it imports, before the timed region
    return params


def main(params):
    if params["shape"] == "skynet":
        root = gevent.spawn(skynet, 0, params["depth"])
        return [("sum", root.get())]
    return flat(params["n"])
