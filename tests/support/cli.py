"""``python -m fakeserver`` in a subprocess, as the command line's tests drive it."""

from __future__ import annotations

import os
import pathlib
import queue
import re
import signal
import subprocess
import sys
import threading
import unittest
import urllib.error
import urllib.request

__all__ = ["CLI", "ROOT", "TIMEOUT", "get"]

ROOT = str(pathlib.Path(__file__).resolve().parents[2])
TIMEOUT = 10.0


class CLI:
    """``python -m fakeserver ARGS`` in a subprocess, its output read line by line.

    The process is killed (if still running) and its pipes closed by a
    cleanup of *test*, so no test leaves one behind.
    """

    def __init__(self, test: unittest.TestCase, *args: str, cwd: str | None = None) -> None:
        env = {**os.environ, "PYTHONPATH": ROOT, "PYTHONDONTWRITEBYTECODE": "1",
               "PYTHONIOENCODING": "utf-8"}
        self.process = subprocess.Popen(
            [sys.executable, "-W", "error", "-m", "fakeserver", *args], cwd=cwd, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8")
        test.addCleanup(self.close)
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=lambda: self._stderr.append(self.process.stderr.read()),
                             daemon=True)]
        for reader in self._readers:
            reader.start()

    def _read_stdout(self) -> None:
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def line(self) -> str:
        """The next line printed; fails if none comes in time or the process ended."""
        try:
            line = self._lines.get(timeout=TIMEOUT)
        except queue.Empty:
            raise AssertionError("fakeserver printed nothing for 10 seconds") from None
        if line is None:
            self.wait()
            raise AssertionError(f"fakeserver exited {self.process.returncode}: {self.stderr}")
        return line

    def lines_until(self, text: str) -> list[str]:
        """Lines up to and including the first containing *text*."""
        lines = [self.line()]
        while text not in lines[-1]:
            lines.append(self.line())
        return lines

    def serving(self) -> tuple[str, str, int]:
        """Read the first line; return the scheme, host and port it announces."""
        first = self.line()
        match = re.fullmatch(r"fakeserver: serving (\w+)://([^:]+):(\d+)/? \(Ctrl-C to stop\)", first)
        assert match, first
        return match[1], match[2], int(match[3])

    def rest(self) -> list[str]:
        """Every line still to come, once the process has ended."""
        lines = []
        while True:
            line = self._lines.get(timeout=TIMEOUT)
            if line is None:
                return lines
            lines.append(line)

    def stop(self, signum: int = signal.SIGTERM) -> int:
        self.process.send_signal(signum)
        return self.wait()

    def wait(self) -> int:
        self.process.wait(TIMEOUT)
        for reader in self._readers:
            reader.join(TIMEOUT)
        return self.process.returncode

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.wait()
        self.process.stdout.close()
        self.process.stderr.close()


def get(url: str, **kwargs) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT, **kwargs) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


