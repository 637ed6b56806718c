"""http_server in gevent: gevent.pywsgi's WSGIServer and a WSGI application, as it comes
(C++ twin: ../fibers.cpp).

A greenlet per connection. pywsgi sends a response's head and its body in two send()s and
leaves Nagle's algorithm on: the body waits until the client acknowledges the head, and a
client that delays its ACK (Linux: up to 40 ms) holds each keep-alive response that long.
That stall is what this row shows; gevent-nodelay.py is the same server without it."""

import gevent
from gevent import pywsgi


def application(slow, backend):
    def hello(environ, start_response):
        if slow:
            gevent.sleep(backend)  # the backend's wait: the hub serves the others
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13")])
        return [b"Hello, world!"]

    return hello


def serve(params, ready):
    app = application(params["variant"] == "slow", params["backend_us"] / 1e6)
    server = pywsgi.WSGIServer(("127.0.0.1", 0), app, backlog=1024, log=None)
    server.start()
    ready(server.server_port)
    server.serve_forever()
