"""spawn_many in multiprocessing: a Process per task, which sends its result back on its
parent's queue; the parent reads them all, then joins the processes. A skynet node is a
process that starts a process per child and sums what they send back (C++ twin:
../processes.cpp). Each task is a forked interpreter (≈ 25 ms here with its start and
reap), and a node's queue is drained before its children are joined: a child whose result
is still in the pipe would not exit."""

import multiprocessing


def task(i, results):
    results.put((i, i))


def flat(n):
    results = multiprocessing.SimpleQueue()
    children = [multiprocessing.Process(target=task, args=(i, results)) for i in range(n)]
    for child in children:
        child.start()
    values = dict(results.get() for _ in children)
    for child in children:
        child.join()
    return [values[i] for i in range(n)]


def skynet(num, depth, parent, slot):
    if depth == 0:
        parent.put((slot, num))
        return
    results = multiprocessing.SimpleQueue()
    children = [
        multiprocessing.Process(target=skynet, args=(num * 10 + i, depth - 1, results, i)) for i in range(10)
    ]
    for child in children:
        child.start()
    total = sum(value for _, value in (results.get() for _ in children))
    for child in children:
        child.join()
    parent.put((slot, total))


def main(params):
    if params["shape"] == "skynet":
        root = multiprocessing.SimpleQueue()
        skynet(0, params["depth"], root, 0)
        return [("sum", root.get()[1])]
    return flat(params["n"])
