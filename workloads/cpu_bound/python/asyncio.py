"""cpu_bound in asyncio: each chunk handed to a thread with asyncio.to_thread, the idiomatic
way to keep CPU work off the loop, and gathered (C++ twin: ../coroutines.cpp).

The loop stays free, but the chunks are Python code: the GIL lets one thread run them at a
time, so they interleave on one core, no faster than one after another. The C++ twin's
threads compute in parallel."""

import asyncio

from kernel import chunks, run_chunk


async def all_chunks(chunks):
    return await asyncio.gather(*(asyncio.to_thread(run_chunk, c) for c in chunks))


def prepare(params):
    return chunks(params)


def main(chunks):
    return asyncio.run(all_chunks(chunks))
