"""file_pipeline in gevent: a greenlet per file, joined; each opens its files as gevent's
thread-pool file object, FileObjectThread, whose every read and write runs on the hub's
thread pool while the greenlet waits (C++ twin: ../fibers.cpp).

A plain open() would block the hub: monkey-patching makes sockets cooperative, never
regular files, which are always "ready". fdatasync goes to the same pool with
threadpool.apply. The hub's pool gets T threads."""

import os
import sys
import time

import gevent
from gevent.fileobject import FileObjectThread

# file_calls.py, beside this file; appended, since the files here bear the frameworks' names
sys.path.append(os.path.dirname(__file__))
import file_calls
from file_calls import handed_back


def pipe_file(file):
    start = time.monotonic_ns()
    with FileObjectThread(file.source, "rb") as f:
        data = f.read()
    with FileObjectThread(file.output, "wb") as f:
        f.write(data.upper())
        if file.sync:
            f.flush()
            gevent.get_hub().threadpool.apply(os.fdatasync, (f.fileno(),))
    return start, time.monotonic_ns()


def prepare(params):
    work = file_calls.prepare(params)
    gevent.get_hub().threadpool.maxsize = work.workers  # the hub and its imports, untimed
    return work


def main(work):
    greenlets = [gevent.spawn(pipe_file, f) for f in work.files]
    gevent.joinall(greenlets, raise_error=True)
    return handed_back([g.value for g in greenlets], work.workers)
