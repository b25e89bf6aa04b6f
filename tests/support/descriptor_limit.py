"""A server at the file-descriptor limit, measured (``python -m tests.support.descriptor_limit``).

It runs in a process of its own because it lowers that process's
``RLIMIT_NOFILE`` and then uses up every descriptor. Prints one JSON object:
the CPU time the process spent during *seconds* at the limit, the status
line answered once descriptors are free again, how long ``stop()`` took
while at the limit a second time, and the lines logged by "fakeserver"
(INFO and above).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import resource
import socket
import sys
import time

from fakeserver import AppRunner
from tests.support import read_until_closed


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.getMessage()}")


def _use_up_descriptors() -> list[int]:
    """Open os.devnull until the process may open no more; return those descriptors."""
    held = []
    while True:
        try:
            held.append(os.open(os.devnull, os.O_RDONLY))
        except OSError as error:
            if error.errno != errno.EMFILE:
                raise
            return held


def _at_the_limit(runner: AppRunner, seconds: float) -> tuple[socket.socket, list[int], float]:
    """Connect a client while no descriptor is left; the CPU time of *seconds* like that."""
    client = socket.socket()  # its own descriptor is taken before the rest are used up
    client.settimeout(10)
    held = _use_up_descriptors()
    client.connect(runner.address)  # completes in the backlog; the server cannot accept it
    cpu = time.process_time()
    time.sleep(seconds)
    return client, held, time.process_time() - cpu


def main(seconds: float) -> None:
    lines = _Lines()
    logger = logging.getLogger("fakeserver")
    logger.addHandler(lines)
    logger.setLevel(logging.INFO)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, hard), hard))
    runner = AppRunner()
    runner.start()
    client, held, cpu = _at_the_limit(runner, seconds)
    for fd in held:
        os.close(fd)
    client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    answer = read_until_closed(client)
    client.close()
    client, held, _ = _at_the_limit(runner, 1.5)  # into the longest pause
    started = time.monotonic()
    runner.stop()
    stop_seconds = time.monotonic() - started
    for fd in held:
        os.close(fd)
    client.close()
    print(json.dumps({"cpu": cpu, "answer": answer.split(b"\r\n", 1)[0].decode(),
                      "stop": stop_seconds, "log": lines.lines}))


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 2.0)
