"""http_fetch with aiohttp on uvloop: aiohttp.py's client on libuv's event loop
(C++ twin: ../coroutines.cpp)."""

import asyncio
import importlib.util
import pathlib

import uvloop

# aiohttp.py, the same client, loaded by its path (its name is the package's).
_spec = importlib.util.spec_from_file_location(
    "http_fetch_aiohttp", pathlib.Path(__file__).with_name("aiohttp.py"))
client = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(client)

prepare = client.prepare


def main(prepared):
    uvloop.install()
    return asyncio.run(client.fetch_all(*prepared))
