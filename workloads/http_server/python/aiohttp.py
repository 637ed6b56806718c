"""http_server in aiohttp: a web.Application with one route (C++ twin: ../coroutines.cpp).

aiohttp parses HTTP/1.1 itself (its C parser), keeps connections alive, and closes one
silent for keepalive_timeout. Its access log is off, as every server's here."""

import asyncio

from aiohttp import web


def serve(params, ready):
    slow = params["variant"] == "slow"
    backend = params["backend_us"] / 1e6

    async def hello(request):
        if slow:
            await asyncio.sleep(backend)  # the backend's wait: the loop serves the others
        return web.Response(text="Hello, world!")

    async def main():
        app = web.Application()
        app.router.add_get("/", hello)
        runner = web.AppRunner(app, access_log=None,
                               keepalive_timeout=params["idle_timeout_ms"] / 1000)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        ready(runner.addresses[0][1])
        await asyncio.Event().wait()  # serves until the process ends

    asyncio.run(main())
