"""file_pipeline's blocking file calls, shared by its Python rows as read_file, write_file
and process_file in ../spec.cpp are by the C++ models.

Files are opened in binary mode: bytes.upper() changes exactly the ASCII letters a-z, as the
C++ kernel upper_case does, with no decoding or encoding in between to measure."""

import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple


class File(NamedTuple):
    """One file's job: where its input is, where its output goes, and whether to sync it."""

    source: str
    output: str
    sync: bool


class Work(NamedTuple):
    files: list  # of File, in file order
    workers: int  # T: the threads (or processes) doing the I/O


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def write_file(path, data, sync):
    with open(path, "wb") as f:
        f.write(data)
        if sync:
            f.flush()  # from the file object's buffer to the kernel, or there is nothing to sync
            os.fdatasync(f.fileno())


def process_file(file):
    """One file, start to end: read it, upper-case it, write it; when it ran."""
    start = time.monotonic_ns()
    write_file(file.output, read_file(file.source).upper(), file.sync)
    return start, time.monotonic_ns()


def prepare(params):
    """The files the workload's set-up wrote, named as Params::input and Params::output name
    them: <dir>/in/<i> and <dir>/out/<i>, i with five digits."""
    names = [f"{i:05d}" for i in range(params["files"])]
    sync = params["sync"] == 1
    files = [File(f"{params['dir']}/in/{n}", f"{params['dir']}/out/{n}", sync) for n in names]
    return Work(files, params["workers"])


def handed_back(spans, workers):
    """What the C++ side reads (python/rows.cpp): a line with the process's threads and the
    I/O workers, then a span per file. Called while the run's pools still exist: they only
    grow during a run, so their size at the end is the most the process had."""
    return [(len(os.listdir("/proc/self/task")), workers), *spans]


async def pipe_all(pipe_file, work):
    """The asyncio rows' gather, the same for aiofiles and for to_thread: a task per file on
    a default executor of T threads, the spans in file order, the first failure raised."""
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(work.workers))
    spans = await asyncio.gather(*(pipe_file(f) for f in work.files))
    return handed_back(spans, work.workers)
