"""fetch_and_process with aiohttp, the naive way: aiohttp.py's pipeline with the CPU work
called on the loop, not handed to a thread (C++ twin: ../coroutines.cpp, coroutines_naive).
While a page is processed the loop runs nothing else, and every fetch whose answer arrives
meanwhile waits, which its latency shows."""

import asyncio
import importlib.util
import pathlib

# aiohttp.py, the same pipeline, loaded by its path (its name is the package's).
_spec = importlib.util.spec_from_file_location(
    "fetch_and_process_aiohttp", pathlib.Path(__file__).with_name("aiohttp.py"))
pipeline = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pipeline)


def main(params):
    return asyncio.run(pipeline.pipeline(params, on_loop=True))
