"""echo on uvloop: asyncio-protocol.py's Protocol on libuv's loop (C++ twin:
../callbacks.cpp).

uvloop reads with libuv into its own buffer and calls data_received; the rest is asyncio's
Protocol, unchanged."""

import asyncio

import uvloop


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


def serve(params, ready):
    async def main():
        server = await asyncio.get_running_loop().create_server(Echo, "127.0.0.1", 0,
                                                                backlog=1024)
        ready(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    uvloop.install()
    asyncio.run(main())
