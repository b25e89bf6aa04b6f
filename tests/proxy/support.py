"""What the proxy's tests share: clients speaking to a FakeProxy, and a proxy per test."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import ssl
import tempfile
import unittest
from typing import Any, Callable
from unittest import mock

from fakeserver.proxy import FakeProxy

TIMEOUT = 10.0


def origin_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Answer with what the app sees of the request's origin, as JSON."""
    keys = ("wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "PATH_INFO",
            "QUERY_STRING")
    body = json.dumps({key: environ.get(key) for key in keys}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


def tunnel(proxy: FakeProxy, host: str, port: int = 443,
           context: ssl.SSLContext | None = None) -> http.client.HTTPSConnection:
    """An HTTPS connection to *host* through *proxy*, trusting the proxy's CA."""
    context = context or ssl.create_default_context(cafile=proxy.ca_file)
    connection = http.client.HTTPSConnection(*proxy.address, timeout=TIMEOUT, context=context)
    connection.set_tunnel(host, port)
    return connection


def plain(proxy: FakeProxy) -> http.client.HTTPConnection:
    """A plain connection to the proxy, for absolute-form requests."""
    return http.client.HTTPConnection(*proxy.address, timeout=TIMEOUT)


def fetch(connection: http.client.HTTPConnection, target: str, method: str = "GET",
          body: bytes | None = None) -> tuple[int, bytes]:
    connection.request(method, target, body)
    response = connection.getresponse()
    return response.status, response.read()


def raw_connect(proxy: FakeProxy, authority: str) -> tuple[socket.socket, bytes]:
    """Send ``CONNECT authority``; return the socket and the proxy's answer head."""
    sock = socket.create_connection(proxy.address, timeout=TIMEOUT)
    sock.sendall(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        piece = sock.recv(1)
        if not piece:
            break
        answer += piece
    return sock, answer


def private_temp_dir(test: unittest.TestCase) -> str:
    """A fresh temporary directory, the default one (``tempfile.tempdir``) until *test* ends.

    The system's is shared with other programs, other runs of this suite
    among them, whose proxies write and remove files there at any moment:
    a test counting its own proxies' files counts them here.
    """
    folder = tempfile.mkdtemp()
    test.addCleanup(shutil.rmtree, folder, True)
    patcher = mock.patch.object(tempfile, "tempdir", folder)
    patcher.start()
    test.addCleanup(patcher.stop)
    return folder


def proxy_files(folder: str) -> set[str]:
    """The files and directories proxies wrote in *folder*."""
    return {name for name in os.listdir(folder) if name.startswith("fakeserver-proxy-")}


class ProxyTestCase(unittest.TestCase):
    """A started proxy per test, stopped by a cleanup."""

    def setUp(self) -> None:
        self.proxy = FakeProxy()
        self.addCleanup(self.proxy.stop)
        self.proxy.start()

    def connection(self, connection: http.client.HTTPConnection) -> http.client.HTTPConnection:
        self.addCleanup(connection.close)
        return connection
