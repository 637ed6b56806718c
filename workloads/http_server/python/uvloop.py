"""http_server on uvloop: an asyncio Protocol that frames the requests itself
(C++ twin: ../callbacks.cpp, the same Protocol on Twisted's side; ../coroutines.cpp is the
streams server).

The loop calls data_received with whatever bytes arrived; a request ends at its empty line
(the load sends no bodies; a request with one, or anything not a GET of HTTP/1.x, is
answered 400 and the connection closed). The slow variant's backend is a call_later, and
responses to pipelined requests leave in order because each waits as long."""

import asyncio

import uvloop

BODY = b"Hello, world!"
HELLO = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n" + BODY
HELLO_CLOSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n"
               b"Connection: close\r\n\r\n" + BODY)
BAD = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n"
       b"Connection: close\r\n\r\nBad Request\n")


def keeps_alive(head):
    """Whether the connection stays open after this request (HTTP/1.1 without close), or
    None if the head is malformed."""
    lines = head.split(b"\r\n")
    request = lines[0].split(b" ")
    if len(request) != 3 or request[2] not in (b"HTTP/1.1", b"HTTP/1.0"):
        return None
    close = request[2] == b"HTTP/1.0"
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon:
            return None
        name = name.lower()
        if name in (b"content-length", b"transfer-encoding") and value.strip() != b"0":
            return None
        if name == b"connection" and b"close" in value.lower():
            close = True
    return not close


class Hello(asyncio.Protocol):
    def __init__(self, params):
        self.slow = params["variant"] == "slow"
        self.backend = params["backend_us"] / 1e6
        self.idle = params["idle_timeout_ms"] / 1000
        self.buffer = b""
        self.timeout = None

    def connection_made(self, transport):
        self.transport = transport
        self.loop = asyncio.get_running_loop()
        self.timeout = self.loop.call_later(self.idle, transport.close)

    def data_received(self, data):
        self.timeout.cancel()
        self.timeout = self.loop.call_later(self.idle, self.transport.close)
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head, self.buffer = self.buffer[:end], self.buffer[end + 4:]
            alive = keeps_alive(head)
            if alive is None:
                self.transport.write(BAD)
                self.transport.close()
                return
            if self.slow:
                self.loop.call_later(self.backend, self.answer, alive)
            else:
                self.answer(alive)
            if not alive:
                return

    def answer(self, alive):
        if self.transport.is_closing():
            return
        self.transport.write(HELLO if alive else HELLO_CLOSE)
        if not alive:
            self.transport.close()

    def connection_lost(self, exc):
        self.timeout.cancel()


def serve(params, ready):
    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: Hello(params), "127.0.0.1", 0,
                                          backlog=1024)
        ready(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    uvloop.install()
    asyncio.run(main())
