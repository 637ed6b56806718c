"""cpu_bound in asyncio: each chunk handed to a thread with asyncio.to_thread, the idiomatic
way to keep CPU work off the loop, and gathered (C++ twin: ../coroutines.cpp).

The loop stays free, but the chunks are Python code: the GIL lets one thread run them at a
time, so they interleave on one core, no faster than one after another. The C++ twin's
threads compute in parallel."""

import asyncio
import os
import sys

sys.path.append(os.path.dirname(__file__))
from kernel import chunks, run_chunk  # noqa: E402


async def all_chunks(chunks):
    return await asyncio.gather(*(asyncio.to_thread(run_chunk, c) for c in chunks))


def prepare(params):
    return chunks(params)


def main(chunks):
    return asyncio.run(all_chunks(chunks))
