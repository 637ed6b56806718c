"""http_fetch with Twisted: an Agent request and readBody per URL, gathered in a DeferredList
(C++ twin: ../callbacks.cpp).

Agent's default pool is not persistent: each request has a connection of its own and says
Connection: close, as the workload asks. With M > 0 a DeferredSemaphore(M) runs each fetch,
as in the C++ twin. Each fetch has its own timeout (Deferred.addTimeout).

A page is handed back as its bytes, in hex; the verifier digests them (rows.cpp)."""

import time

from twisted.internet import defer, reactor, task  # importing reactor installs it (epoll)
from twisted.python import failure
from twisted.web.client import Agent, readBody


def only_200(response):
    if response.code != 200:
        raise ValueError(f"status {response.code}")
    return response


def fetch(agent, url, timeout_s):
    start = time.monotonic_ns()
    d = agent.request(b"GET", url)
    d.addCallback(only_200)
    d.addCallback(readBody)
    d.addCallback(lambda body: (start, time.monotonic_ns(), body.hex()))
    d.addTimeout(timeout_s, reactor)
    return d


def pages_or_first_failure(outcomes):
    for succeeded, outcome in outcomes:
        if not succeeded:
            outcome.raiseException()
    return [page for _, page in outcomes]


def fetch_all(reactor, urls, max_in_flight, timeout_s):
    agent = Agent(reactor)
    if max_in_flight:
        semaphore = defer.DeferredSemaphore(max_in_flight)
        pages = [semaphore.run(fetch, agent, url, timeout_s) for url in urls]
    else:
        pages = [fetch(agent, url, timeout_s) for url in urls]
    # Every fetch runs to its end, failed or not; then the first failure in URL order.
    return defer.DeferredList(pages, consumeErrors=True).addCallback(pages_or_first_failure)


def prepare(params):
    urls = [f"http://127.0.0.1:{params['port']}/item/{i}".encode() for i in range(params["n"])]
    return urls, params["max_in_flight"], params["timeout_s"]


def main(prepared):
    outcome = []

    def run(reactor):
        return fetch_all(reactor, *prepared).addBoth(outcome.append)

    try:
        task.react(run)  # runs the reactor until run's Deferred fires, then stops it
    except SystemExit as end:  # react() ends the process's reactor with sys.exit
        if end.code:
            raise RuntimeError(f"the reactor stopped with status {end.code}") from end
    if isinstance(outcome[0], failure.Failure):
        outcome[0].raiseException()
    return outcome[0]
