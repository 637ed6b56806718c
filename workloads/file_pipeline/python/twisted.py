"""file_pipeline in Twisted: each blocking call sent to the reactor's thread pool with
deferToThread, what follows chained as a callback, all files gathered
(C++ twin: ../callbacks.cpp).

Two hand-offs per file (the write includes the sync); the upper-casing runs on the reactor
thread between them. The reactor's pool gets T threads."""

import os
import sys
import time

from twisted.internet import defer, reactor, task, threads  # importing reactor installs it

# file_calls.py, beside this file; appended, since the files here bear the frameworks' names
sys.path.append(os.path.dirname(__file__))
import file_calls
from file_calls import handed_back, read_file, write_file


def pipe_file(file):
    start = time.monotonic_ns()
    d = threads.deferToThread(read_file, file.source)
    d.addCallback(lambda data: threads.deferToThread(write_file, file.output, data.upper(), file.sync))
    d.addCallback(lambda _: (start, time.monotonic_ns()))
    return d


def pipe_all(work):
    d = defer.gatherResults([pipe_file(f) for f in work.files], consumeErrors=True)
    return d.addCallback(handed_back, work.workers)


def prepare(params):
    work = file_calls.prepare(params)
    reactor.suggestThreadPoolSize(work.workers)
    return work


def main(work):
    result, failures = [], []

    def run(reactor):
        # The first file's failure is kept to raise here, with its own type and message,
        # rather than as react()'s exit status.
        return pipe_all(work).addCallbacks(result.extend, lambda f: failures.append(f.value.subFailure))

    try:
        task.react(run)  # runs the reactor until run's Deferred fires, then stops it
    except SystemExit as end:  # react() ends the process's reactor with sys.exit
        if end.code:
            raise RuntimeError(f"the reactor stopped with status {end.code}") from end
    if failures:
        failures[0].raiseException()
    return result
