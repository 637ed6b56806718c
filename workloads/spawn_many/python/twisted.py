"""spawn_many in Twisted: a task is deferLater(reactor, 0, f), whose Deferred fires with
f's value on the reactor's next turn; gatherResults collects the values in call order. A
skynet node is a deferLater whose callback makes the node's ten children and returns their
gatherResults: the chain pauses on that Deferred (Twisted's chaining) and the next callback
sums the list (C++ twin: ../callbacks.cpp). No task has a stack: a pending task is a
DelayedCall in the reactor's heap and a Deferred's chain."""

from twisted.internet import defer, reactor, task  # importing reactor installs it (epoll)


def flat(reactor, n):
    return defer.gatherResults([task.deferLater(reactor, 0, lambda i=i: i) for i in range(n)])


def skynet(reactor, num, depth):
    if depth == 0:
        return task.deferLater(reactor, 0, lambda: num)

    def children(_):
        return defer.gatherResults([skynet(reactor, num * 10 + i, depth - 1) for i in range(10)])

    return task.deferLater(reactor, 0, lambda: None).addCallback(children).addCallback(sum)


def main(params):
    results = []

    def run(reactor):
        if params["shape"] == "skynet":
            return skynet(reactor, 0, params["depth"]).addCallback(lambda s: results.append(("sum", s)))
        return flat(reactor, params["n"]).addCallback(results.extend)

    try:
        task.react(run)  # runs the reactor until run's Deferred fires, then stops it
    except SystemExit as end:  # react() ends the process's reactor with sys.exit
        if end.code:
            raise RuntimeError(f"the reactor stopped with status {end.code}") from end
    return results
