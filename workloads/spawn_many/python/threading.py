"""spawn_many in threading: a thread per task, started, joined, its result read from the
slot it wrote. A skynet node is a thread that starts a thread per child and joins them
(C++ twin: ../threads.cpp). Every task is an OS thread (a clone, a stack mapping, a
wake-up) and, under the GIL, a hand-over of the interpreter lock to start it."""

import threading


def task(values, i):
    values[i] = i


def flat(n):
    values = [None] * n
    threads = [threading.Thread(target=task, args=(values, i)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return values


def skynet(num, depth, results, slot):
    if depth == 0:
        results[slot] = num
        return
    sums = [0] * 10
    children = [threading.Thread(target=skynet, args=(num * 10 + i, depth - 1, sums, i)) for i in range(10)]
    for child in children:
        child.start()
    for child in children:
        child.join()
    results[slot] = sum(sums)


def main(params):
    if params["shape"] == "skynet":
        root = [0]
        skynet(0, params["depth"], root, 0)
        return [("sum", root[0])]
    return flat(params["n"])
