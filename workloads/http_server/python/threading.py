"""http_server with threading: the standard library's ThreadingHTTPServer, a thread per
connection, speaking HTTP/1.1 with keep-alive (C++ twin: ../threads.cpp).

BaseHTTPRequestHandler writes a response's head and body in two send()s; Nagle's algorithm
would then hold every keep-alive body until the client's delayed ACK (as gevent.py shows),
so the handler sets the standard library's own switch, disable_nagle_algorithm. A
connection silent for the idle timeout is closed (the handler's socket timeout)."""

import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY = b"Hello, world!"


def handler(slow, backend, idle):
    class Hello(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, with a Content-Length on every response
        disable_nagle_algorithm = True
        timeout = idle

        def do_GET(self):
            if slow:
                time.sleep(backend)  # the backend's wait: this thread only
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)

        def log_message(self, format, *args):
            pass  # no access log, as every server's here

    return Hello


class Server(ThreadingHTTPServer):
    request_queue_size = 1024  # the listen backlog; socketserver's own is 5


def serve(params, ready):
    idle = params["idle_timeout_ms"] / 1000
    slow = params["variant"] == "slow"
    server = Server(("127.0.0.1", 0), handler(slow, params["backend_us"] / 1e6, idle))
    ready(server.server_address[1])
    server.serve_forever()
