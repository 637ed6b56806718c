"""echo in Tornado: a TCPServer whose handle_stream coroutine reads and writes each
connection's IOStream (C++ twin: ../futures.cpp, the same loop as a chain of callbacks).

Waiting for the write before the next read is the backpressure: while the kernel does not
take the echo, the stream reads nothing more."""

import asyncio

from tornado.iostream import StreamClosedError
from tornado.netutil import bind_sockets
from tornado.tcpserver import TCPServer


class EchoServer(TCPServer):
    async def handle_stream(self, stream, address):
        try:
            while True:
                data = await stream.read_bytes(64 * 1024, partial=True)
                await stream.write(data)
        except StreamClosedError:
            pass  # the client closed or reset the connection


def serve(params, ready):
    async def main():
        sockets = bind_sockets(0, "127.0.0.1", backlog=1024)
        EchoServer().add_sockets(sockets)
        ready(sockets[0].getsockname()[1])
        await asyncio.Event().wait()  # serves until the process ends

    asyncio.run(main())
