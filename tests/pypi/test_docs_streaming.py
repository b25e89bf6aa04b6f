"""Documentation is served streamed: a small zip holding a huge file costs time, not memory.

The index runs in a child process, so that the peak resident memory it
reports (``ru_maxrss``) is the server's alone, not the test runner's.
"""

from __future__ import annotations

import http.client
import os
import struct
import subprocess
import sys
import unittest
import urllib.parse
import zlib

import fakeserver
from tests.support.distributions import distutils_upload

try:
    import resource
except ImportError:  # not on Windows
    resource = None  # type: ignore[assignment]

#: The uncompressed size of the file in the zip (the zip is a thousandth of it), and
#: the most the server may grow by. Read whole, the file would grow it by at least its
#: size; streamed, the growth does not depend on the size, and a quarter of a GiB
#: shows it in a quarter of the time a GiB takes.
MEMBER_SIZE = 256 << 20
GROWTH_LIMIT = 64 << 20

_SERVER = """
import resource, sys
from fakeserver import AppRunner
from fakeserver.pypi import PackageIndex

with AppRunner(PackageIndex()) as runner:
    print(runner.url, flush=True)
    for _ in sys.stdin:  # each line asks for the peak resident memory so far
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)
"""


def zip_bomb(name: str, size: int) -> bytes:
    """A zip whose one file, *name*, is *size* zero bytes (a whole number of MiB), deflated.

    Built without compressing *size* bytes: a MiB of zeros deflated and
    fully flushed compresses to the same block every time, so the stream is
    that block repeated.
    """
    mebibyte = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(mebibyte) + compressor.flush(zlib.Z_FULL_FLUSH)
    data = block * (size >> 20) + compressor.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(size >> 20):
        crc = zlib.crc32(mebibyte, crc)
    encoded = name.encode()
    fields = struct.pack("<HHHHHIIIH", 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded))
    local = b"PK\x03\x04" + fields + b"\0\0" + encoded
    central = (b"PK\x01\x02" + struct.pack("<H", 20) + fields
               + struct.pack("<HHHHII", 0, 0, 0, 0, 0, 0) + encoded)
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 1, 1, len(central),
                                      len(local) + len(data), 0)
    return local + data + central + end


@unittest.skipIf(resource is None, "needs the resource module")
class BoundedMemoryTest(unittest.TestCase):
    def setUp(self) -> None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(fakeserver.__file__)))
        self.server = subprocess.Popen(
            [sys.executable, "-W", "error", "-c", _SERVER], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": root})
        self.addCleanup(self.stop_server)
        assert self.server.stdout is not None
        self.url = self.server.stdout.readline().strip()

    def stop_server(self) -> None:
        with self.server:
            assert self.server.stdin is not None
            self.server.stdin.close()
            self.assertEqual(self.server.wait(timeout=60), 0)

    def peak_memory(self) -> int:
        """The server's peak resident memory so far, in bytes."""
        assert self.server.stdin is not None and self.server.stdout is not None
        self.server.stdin.write("\n")
        self.server.stdin.flush()
        peak = int(self.server.stdout.readline())
        return peak if sys.platform == "darwin" else peak * 1024  # Linux counts KiB

    def test_a_zip_bomb_is_checked_and_served_within_bounded_memory(self) -> None:
        archive = zip_bomb("big.html", MEMBER_SIZE)
        self.assertLess(len(archive), MEMBER_SIZE // 1000)
        before = self.peak_memory()
        reply = distutils_upload(self.url + "/legacy/", "docs.zip", archive, action="doc_upload")
        self.assertEqual(reply.status, 200)
        url = urllib.parse.urlsplit(self.url)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        self.addCleanup(connection.close)
        connection.request("GET", "/docs/demo/big.html")
        response = connection.getresponse()
        self.assertEqual((response.status, response.getheader("Content-Length")),
                         (200, str(MEMBER_SIZE)))
        received = 0
        while True:
            piece = response.read(1 << 20)
            if not piece:
                break
            if received == 0:
                self.assertEqual(piece, bytes(len(piece)))
            received += len(piece)
        self.assertEqual(received, MEMBER_SIZE)
        growth = self.peak_memory() - before
        self.assertLess(growth, GROWTH_LIMIT, f"the server grew by {growth >> 20} MiB")


if __name__ == "__main__":
    unittest.main()
