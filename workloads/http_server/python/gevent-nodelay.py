"""http_server in gevent with TCP_NODELAY: gevent.py's server, with Nagle's algorithm off
on every accepted connection (C++ twin: ../fibers.cpp, whose sockets all have it off).

The response's body then leaves at once behind its head, without waiting for the client's
ACK: the 40 ms stall of gevent.py is gone, and nothing else differs."""

import socket

import gevent
from gevent import pywsgi


def application(slow, backend):
    def hello(environ, start_response):
        if slow:
            gevent.sleep(backend)  # the backend's wait: the hub serves the others
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13")])
        return [b"Hello, world!"]

    return hello


class NoDelayServer(pywsgi.WSGIServer):
    def handle(self, sock, address):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().handle(sock, address)


def serve(params, ready):
    app = application(params["variant"] == "slow", params["backend_us"] / 1e6)
    server = NoDelayServer(("127.0.0.1", 0), app, backlog=1024, log=None)
    server.start()
    ready(server.server_port)
    server.serve_forever()
