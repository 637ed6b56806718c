"""echo in gevent: a StreamServer, a greenlet per connection running blocking-style code
(C++ twin: ../fibers.cpp).

recv() and sendall() look blocking; each wait switches to the hub, which runs the other
connections' greenlets meanwhile."""

from gevent.server import StreamServer


def echo(sock, address):
    try:
        while data := sock.recv(64 * 1024):
            sock.sendall(data)
    except ConnectionError:
        pass  # a reset costs this connection only
    finally:
        sock.close()


def serve(params, ready):
    server = StreamServer(("127.0.0.1", 0), echo, backlog=1024)
    server.start()
    ready(server.server_port)
    server.serve_forever()
