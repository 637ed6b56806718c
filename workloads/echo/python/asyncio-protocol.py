"""echo in asyncio with a Protocol: data_received writes the bytes back (C++ twin:
../callbacks.cpp, Twisted's Echo, the model asyncio's Protocol follows).

No task per connection: the loop calls the protocol with each read (asyncio reads up to
256 KiB at once) and the transport buffers what the socket does not take."""

import asyncio


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

    asyncio.run(main())
