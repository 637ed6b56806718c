"""http_server in Tornado: a RequestHandler in a tornado.web.Application (C++ twin:
../futures.cpp).

Tornado's HTTPServer parses HTTP/1.1 itself, keeps connections alive and closes one silent
for idle_connection_timeout. The slow variant's backend is gen.sleep, a Future the IOLoop
resolves. Tornado logs each request at INFO on the logger tornado.access; with logging left
unconfigured the record is dropped at the level check."""

import asyncio

import tornado.httpserver
import tornado.netutil
import tornado.web
from tornado import gen


class Hello(tornado.web.RequestHandler):
    def initialize(self, slow, backend):
        self.slow, self.backend = slow, backend

    async def get(self):
        if self.slow:
            await gen.sleep(self.backend)
        self.write("Hello, world!")


def serve(params, ready):
    async def main():
        options = {"slow": params["variant"] == "slow", "backend": params["backend_us"] / 1e6}
        app = tornado.web.Application([(r"/", Hello, options)])
        server = tornado.httpserver.HTTPServer(
            app, idle_connection_timeout=params["idle_timeout_ms"] / 1000)
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1", backlog=1024)
        server.add_sockets(sockets)
        ready(sockets[0].getsockname()[1])
        await asyncio.Event().wait()  # serves until the process ends

    asyncio.run(main())
