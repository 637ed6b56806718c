"""echo in asyncio: a streams server, one handler task per connection (C++ twin:
../coroutines.cpp).

The handler reads what has arrived (up to 64 KiB, the suite's read_size), writes it back and
waits for drain(): while the client does not take the echo, nothing more is read."""

import asyncio


async def echo(reader, writer):
    try:
        while data := await reader.read(64 * 1024):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass  # a reset costs this connection only
    finally:
        writer.close()


def serve(params, ready):
    async def main():
        server = await asyncio.start_server(echo, "127.0.0.1", 0, backlog=1024)
        ready(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())
