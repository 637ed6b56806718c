"""echo in Twisted: the Echo Protocol and a Factory (C++ twin: ../callbacks.cpp).

The reactor reads up to 64 KiB per readable event and calls dataReceived; the protocol
writes the bytes back through its transport, and that is the whole server."""

from twisted.internet import protocol, reactor  # importing reactor installs it (epoll)


class Echo(protocol.Protocol):
    def dataReceived(self, data):
        self.transport.write(data)


def serve(params, ready):
    port = reactor.listenTCP(0, protocol.Factory.forProtocol(Echo), backlog=1024,
                              interface="127.0.0.1")
    ready(port.getHost().port)
    reactor.run()
