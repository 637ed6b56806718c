"""http_server in Twisted: twisted.web's Site and one leaf Resource (C++ twin:
../callbacks.cpp).

twisted.web parses HTTP/1.1 itself, keeps connections alive and closes one silent for the
Site's timeout. The slow variant answers later: render_GET returns NOT_DONE_YET and a
deferLater writes the body; its Content-Length is set first, or Twisted would send it
chunked. The access log is off (Site.log does nothing), as every server's here."""

from twisted.internet import reactor, task  # importing reactor installs it (epoll)
from twisted.web import resource, server

BODY = b"Hello, world!"


class Hello(resource.Resource):
    isLeaf = True

    def __init__(self, slow, backend):
        super().__init__()
        self.slow, self.backend = slow, backend

    def render_GET(self, request):
        request.setHeader(b"content-type", b"text/plain")
        if not self.slow:
            return BODY
        request.setHeader(b"content-length", b"%d" % len(BODY))
        answered = task.deferLater(reactor, self.backend, request.write, BODY)
        answered.addCallback(lambda _: request.finish())
        return server.NOT_DONE_YET


class Quiet(server.Site):
    def log(self, request):
        pass


def serve(params, ready):
    root = Hello(params["variant"] == "slow", params["backend_us"] / 1e6)
    site = Quiet(root, timeout=params["idle_timeout_ms"] / 1000)
    port = reactor.listenTCP(0, site, backlog=1024, interface="127.0.0.1")
    ready(port.getHost().port)
    reactor.run()
