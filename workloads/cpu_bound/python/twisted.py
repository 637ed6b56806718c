"""cpu_bound in Twisted: deferToThread hands each chunk to the reactor's thread pool and
gatherResults waits for them all (C++ twin: ../callbacks.cpp).

The reactor thread stays free to answer, which is why Twisted code offloads; but the pool's
threads share the GIL, so the chunks take as long as run one after another."""

from twisted.internet import defer, reactor, task, threads  # importing reactor installs it

from kernel import chunks, run_chunk


def all_chunks(chunks):
    return defer.gatherResults([threads.deferToThread(run_chunk, c) for c in chunks])


def prepare(params):
    return chunks(params)


def main(chunks):
    results = []

    def run(reactor):
        return all_chunks(chunks).addCallback(results.extend)

    try:
        task.react(run)  # runs the reactor until run's Deferred fires, then stops it
    except SystemExit as end:  # react() ends the process's reactor with sys.exit
        if end.code:
            raise RuntimeError(f"the reactor stopped with status {end.code}") from end
    return results
