"""fetch_and_process with Twisted: a producer/consumer pipeline on a DeferredQueue. A
producer fetches an item with an Agent request and readBody, bounded by addTimeout; it then
waits for a free slot of a DeferredSemaphore(Q) and puts the page into a
DeferredQueue(size=Q). Twisted's put never waits, so the semaphore is the backpressure, and
the queue's size the guard that it holds. A consumer's `queue.get().addCallback` gives the
slot back and runs the CPU work with deferToThread; its Deferred's callback takes the next
page. Once every producer's Deferred has fired (DeferredList), one None per consumer ends
them; task.react runs the reactor until the last consumer is done
(C++ twin: ../callbacks.cpp).

A failed or late fetch ends its producer (its Failure kept); once the consumers have drained
the queue, the first producer's failure is raised."""

import pathlib
import sys
import time

from twisted.internet import defer, reactor, task, threads  # importing reactor installs it
from twisted.python import failure
from twisted.web.client import Agent, readBody

# kernel.py, beside this file; appended, so that no row here hides a module of that name
sys.path.append(str(pathlib.Path(__file__).parent))
import kernel  # noqa: E402


def only_200(response):
    if response.code != 200:
        raise ValueError(f"status {response.code}")
    return response


def fetch(agent, url, index, timeout_s):
    start = time.monotonic_ns()
    d = agent.request(b"GET", url)
    d.addCallback(only_200)
    d.addCallback(readBody)
    d.addCallback(lambda body: (index, body, start, time.monotonic_ns()))
    d.addTimeout(timeout_s, reactor)
    return d


def producer(params, agent, slots, queue, k):
    items = iter(range(k, params["n"], params["producers"]))
    deepest = 0

    def put(page):
        nonlocal deepest
        queue.put(page)
        deepest = max(deepest, len(queue.pending))

    def next_item(_=None):
        i = next(items, None)
        if i is None:
            return deepest
        url = f"http://127.0.0.1:{params['port']}/item/{i}".encode()
        d = fetch(agent, url, i, params["timeout_ms"] / 1000)
        d.addCallback(lambda page: slots.acquire().addCallback(lambda _: put(page)))
        return d.addCallback(next_item)

    return next_item()


def consumer(params, slots, queue):
    done = []

    def take(page):
        slots.release()
        if page is None:
            return done
        d = threads.deferToThread(kernel.process, page, params["rounds"])
        d.addCallback(done.append)
        return d.addCallback(lambda _: queue.get().addCallback(take))

    return queue.get().addCallback(take)


def end_consumers(depths, params, slots, queue, consumers):
    for _ in consumers:  # a None takes a slot as a page does: the queue's size holds
        slots.acquire().addCallback(lambda _: queue.put(None))
    return defer.gatherResults(consumers).addCallback(lambda done: (depths, done))


def results(outcome):
    depths, done = outcome
    for succeeded, depth in depths:
        if not succeeded:
            depth.raiseException()
    deepest = max((depth for _, depth in depths), default=0)
    return [(deepest,)] + [item for mine in done for item in mine]


def pipeline(reactor, params):
    agent = Agent(reactor)
    slots = defer.DeferredSemaphore(params["capacity"])
    queue = defer.DeferredQueue(size=params["capacity"])
    consumers = [consumer(params, slots, queue) for _ in range(params["consumers"])]
    producers = [producer(params, agent, slots, queue, k) for k in range(params["producers"])]
    d = defer.DeferredList(producers, consumeErrors=True)
    d.addCallback(end_consumers, params, slots, queue, consumers)
    return d.addCallback(results)


def main(params):
    outcome = []

    def run(reactor):
        return pipeline(reactor, params).addBoth(outcome.append)

    try:
        task.react(run)  # runs the reactor until run's Deferred fires, then stops it
    except SystemExit as end:  # react() ends the process's reactor with sys.exit
        if end.code:
            raise RuntimeError(f"the reactor stopped with status {end.code}") from end
    if isinstance(outcome[0], failure.Failure):
        outcome[0].raiseException()
    return outcome[0]
