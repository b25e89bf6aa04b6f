"""The server thread: a listening socket, an accept loop and a thread per client.

This module owns the lifecycle every fakeserver server shares (HTTP, SMTP):
bind in ``__init__`` so the address is known at once, accept in a thread,
serve each connection in a thread of its own (threads are kept for the next
connection rather than started anew, because starting one waits for the
GIL while other threads are busy), and stop promptly without polling or
sleeping. Running out of threads or file descriptors costs only the
connections that meet the shortage, and is logged once per episode. It
knows nothing of the protocol spoken on the connections: subclasses
implement :meth:`ServerThread.handle_connection`.
"""

from __future__ import annotations

import errno
import logging
import queue
import selectors
import socket
import ssl
import threading
import time
from typing import AbstractSet, Callable, TypeVar

__all__ = ["Connection", "ServerThread", "format_url_host"]

logger = logging.getLogger("fakeserver")

_Socket = TypeVar("_Socket", bound=socket.socket)
_Server = TypeVar("_Server", bound="ServerThread")

#: How long ``stop()`` waits, after shutting a socket down, for a thread that
#: is stuck in application code rather than in socket I/O.
_ABANDON_TIMEOUT = 1.0
#: Out of file descriptors, the accept loop stops watching the listening
#: socket for this long at first, twice as long after each failed retry, up
#: to the most. The connection that could not be accepted waits in the backlog.
_FIRST_PAUSE = 0.01
_LONGEST_PAUSE = 1.0
#: What ``accept()`` fails with when the process or the system is out of
#: descriptors (or of the memory for one): the listening socket stays
#: readable, so retrying at once would spin.
_OUT_OF_DESCRIPTORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


def format_url_host(host: str) -> str:
    """Return *host* as it appears in a URL: IPv6 literals in brackets."""
    return f"[{host}]" if ":" in host else host


class Connection:
    """One accepted client socket and the thread serving it.

    You get one as the argument of :meth:`ServerThread.handle_connection`.
    The protocol handler calls :meth:`busy` when a client starts a request
    and :meth:`idle` when it is done, so that ``stop()`` can close idle
    connections at once and give busy ones time to finish. Thread-safe.
    """

    def __init__(self, sock: socket.socket, address: tuple) -> None:
        self.sock = sock
        self.address = address
        #: The thread serving this connection, once one has taken it.
        self.thread: threading.Thread | None = None
        #: Set when the connection has been served and closed.
        self.done = threading.Event()
        self._lock = threading.Lock()
        self._idle = True
        self._closing = False
        self._closed = False

    @property
    def closing(self) -> bool:
        """True once the server has asked this connection to end."""
        return self._closing

    def busy(self) -> bool:
        """Mark a request as in progress; False if the server is stopping."""
        with self._lock:
            self._idle = False
            return not self._closing

    def idle(self) -> bool:
        """Mark the connection as waiting for a request; False if stopping."""
        with self._lock:
            self._idle = True
            return not self._closing

    def close_if_idle(self) -> None:
        """Ask the connection to end: at once if idle, after its request if busy."""
        with self._lock:
            self._closing = True
            if self._idle:
                self._shutdown()

    def abort(self) -> None:
        """Shut the socket down now, waking any thread blocked on it."""
        with self._lock:
            self._closing = True
            self._shutdown()

    def replace_socket(self, wrap: Callable[[socket.socket], _Socket]) -> _Socket | None:
        """Swap the socket for ``wrap(sock)`` (e.g. a TLS one); None if stopping.

        Called by the serving thread. Atomic with respect to :meth:`abort`
        and :meth:`close_if_idle`, so ``stop()`` never shuts down a socket
        that *wrap* already took the file descriptor of.
        """
        with self._lock:
            if self._closing:
                return None
            wrapped = wrap(self.sock)
            self.sock = wrapped
            return wrapped

    def start_tls(self, context: ssl.SSLContext) -> bool:
        """Turn this into a server-side TLS connection; True once the handshake is done.

        Blocks until the handshake ends; call it from the connection's thread,
        so that a slow client delays no one else, and while the connection is
        idle, so that ``stop()`` closes it at once. Works on a fresh connection
        and after a plaintext phase (STARTTLS): the caller then must discard
        whatever it read ahead from the plaintext socket. Afterwards
        :attr:`sock` is an :class:`ssl.SSLSocket`.

        Returns False when the handshake fails (the client does not trust the
        certificate, or does not speak TLS at all), which is logged as a warning
        unless the server is stopping: the caller should then end the connection.
        """
        try:
            sock = self.replace_socket(lambda plain: context.wrap_socket(
                plain, server_side=True, do_handshake_on_connect=False))
            if sock is None:
                return False
            sock.do_handshake()
        except OSError as error:  # ssl.SSLError included
            if not self.closing:
                logger.warning("TLS handshake with %s failed: %s", self.address, error)
            return False
        return True

    def close(self) -> None:
        """Close the socket; idempotent. Called by the serving thread."""
        with self._lock:
            self._closed = True
            self.sock.close()

    def _shutdown(self) -> None:
        if self._closed:
            return
        try:
            # The TCP shutdown even on a TLS socket: SSLSocket.shutdown() also
            # drops its TLS state, racing with a read in the serving thread.
            socket.socket.shutdown(self.sock, socket.SHUT_RDWR)
        except OSError:  # already disconnected by the peer
            pass


class ServerThread(threading.Thread):
    """A daemon thread accepting connections on a socket bound at construction.

    The socket is bound and listening when ``__init__`` returns, so
    :attr:`address` is known before :meth:`start`, and clients that connect
    early wait in the backlog. :meth:`stop` is idempotent, callable from any
    thread, and returns as soon as the in-flight requests are done (or their
    time is up): it never sleeps or polls.
    """

    #: The listen backlog; large so that bursts of connects are not refused.
    backlog = 1024

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, name: str = "fakeserver") -> None:
        super().__init__(name=f"{name}-{host}:{port}", daemon=True)
        self._listener = _bind(host, port, self.backlog)
        bound = self._listener.getsockname()
        #: The bound ``(host, port)``, known before :meth:`start`.
        self.address: tuple[str, int] = (host, bound[1])
        self.name = f"{name}-{format_url_host(host)}:{bound[1]}"
        self._wakeup_receiver, self._wakeup_sender = socket.socketpair()
        # Made here rather than in run(), so that once started the accept loop
        # needs no new descriptor: it runs on when the process has none left.
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._selector.register(self._wakeup_receiver, selectors.EVENT_READ)
        self._registry_lock = threading.Lock()
        self._connections: set[Connection] = set()
        self._stop_requested = False
        self._stop_finished = threading.Event()
        # Accepted connections wait here for a worker; None tells one to exit.
        self._jobs: queue.SimpleQueue[Connection | None] = queue.SimpleQueue()
        self._workers: list[threading.Thread] = []
        self._idle_workers = 0
        self._descriptor_shortage = _Shortage(
            "out of file descriptors (%s); pausing accepts until some are free",
            "file descriptors are free again, after %d failed accepts")
        self._thread_shortage = _Shortage(
            "cannot start a thread (%s); closing new connections until one starts",
            "threads start again, after %d connections were closed")

    # -- the protocol hook -------------------------------------------------

    def handle_connection(self, connection: Connection) -> None:
        """Serve one client until it is done; runs in the connection's thread.

        Subclasses implement this. The socket is closed afterwards by the
        caller; exceptions are logged and cost only this connection.
        """
        raise NotImplementedError

    # -- lifecycle -----------------------------------------------------------

    def __enter__(self: _Server) -> _Server:
        try:
            self.start()
        except BaseException:
            self.stop()  # release the socket bound by the constructor
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self.is_alive() and not self._stop_requested

    def start(self) -> None:
        """Start accepting connections; returns at once (the socket already listens)."""
        if self._stop_requested:
            raise RuntimeError("this server was stopped; create a new one to serve again")
        super().start()

    def run(self) -> None:
        """The accept loop; blocks until :meth:`stop`. Do not call directly.

        Out of file descriptors, it pauses rather than spins: it stops
        watching the listening socket and waits only for :meth:`stop`, for
        a pause that doubles (up to a second) until an accept works again.
        """
        selector = self._selector
        pause = 0.0
        while not self._stop_requested:
            for key, _ in selector.select():
                if key.fileobj is not self._listener:
                    continue
                if self._accept():
                    pause = 0.0
                    continue
                pause = min(pause * 2, _LONGEST_PAUSE) if pause else _FIRST_PAUSE
                selector.unregister(self._listener)
                selector.select(pause)  # returns early for stop()
                selector.register(self._listener, selectors.EVENT_READ)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop serving and release every socket and thread; idempotent.

        Idle connections are closed at once. Requests in progress get up to
        *timeout* seconds to finish, then their sockets are shut down. When
        this returns, the listening socket and all connection sockets are
        closed and no thread of this server is alive (except one stuck in
        application code that ignores its closed socket, which is logged).
        Thread-safe; may be called from inside a request.
        """
        with self._registry_lock:
            if self._stop_requested:
                already = True
            else:
                already = False
                self._stop_requested = True
        if already:
            if threading.current_thread() is not self:
                self._stop_finished.wait()
                # A request that called stop() itself may still be finishing.
                self._join_workers(timeout)
            return
        try:
            self._shut_down_everything(timeout)
        finally:
            self._stop_finished.set()

    def _shut_down_everything(self, timeout: float) -> None:
        if self.is_alive():
            self._wakeup_sender.send(b"x")
            if threading.current_thread() is not self:
                self.join()
        self._selector.close()
        self._listener.close()
        self._wakeup_sender.close()
        self._wakeup_receiver.close()
        with self._registry_lock:
            connections = list(self._connections)
        for connection in connections:
            connection.close_if_idle()
        current = threading.current_thread()  # a request that called stop() itself
        others = [c for c in connections if c.thread is not current]
        late = _wait_done(others, timeout)
        for connection in late:
            logger.warning("request from %s still running after %.1fs; shutting its socket down",
                           connection.address, timeout)
            connection.abort()
        stuck: set[threading.Thread | None] = set()
        for connection in _wait_done(late, _ABANDON_TIMEOUT):
            logger.warning("thread %s did not end; it is blocked in application code",
                           connection.thread.name if connection.thread else "(none)")
            stuck.add(connection.thread)
        with self._registry_lock:
            workers = len(self._workers)
        for _ in range(workers):
            self._jobs.put(None)
        self._join_workers(_ABANDON_TIMEOUT, skip=stuck)

    def _join_workers(self, timeout: float,
                      skip: AbstractSet[threading.Thread | None] = frozenset()) -> None:
        """Wait for the workers to exit: all but the calling one and those in *skip*."""
        deadline = time.monotonic() + timeout
        with self._registry_lock:
            workers = list(self._workers)
        for worker in workers:
            if worker is not threading.current_thread() and worker not in skip:
                worker.join(max(0.0, deadline - time.monotonic()))

    # -- connections -----------------------------------------------------------

    def _accept(self) -> bool:
        """Accept a connection and queue it for a worker; False when out of descriptors.

        A connection no thread can be started for is closed: the shortage
        costs only the connections that meet it.
        """
        try:
            sock, address = self._listener.accept()
        except OSError as error:
            if error.errno in _OUT_OF_DESCRIPTORS:
                self._descriptor_shortage.occurred(error)
                return False
            logger.warning("accept failed: %s", error)  # e.g. the client gave up
            return True
        self._descriptor_shortage.ended()
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # the client already reset it (some systems say EINVAL)
            sock.close()
            return True
        with self._registry_lock:
            spawn = self._idle_workers == 0
            if not spawn:
                self._idle_workers -= 1
        if spawn:
            try:
                worker = self._start_worker()
            except RuntimeError as error:  # "can't start new thread"
                self._thread_shortage.occurred(error)
                sock.close()
                return True
            self._thread_shortage.ended()
        connection = Connection(sock, address)
        with self._registry_lock:
            if spawn:
                self._workers.append(worker)
            self._connections.add(connection)
        self._jobs.put(connection)
        return True

    def _start_worker(self) -> threading.Thread:
        """Start one more worker thread and return it.

        Raises :class:`RuntimeError` when the system starts no more threads
        (its limit on threads, or on memory for their stacks).
        """
        worker = threading.Thread(target=self._work, daemon=True,
                                  name=f"{self.name}-worker-{len(self._workers) + 1}")
        worker.start()
        return worker

    def _work(self) -> None:
        """A worker: serve connections one after another until told to exit."""
        while True:
            connection = self._jobs.get()
            if connection is None:
                return
            connection.thread = threading.current_thread()
            self._serve(connection)
            with self._registry_lock:
                if self._stop_requested:
                    return
                self._idle_workers += 1

    def _serve(self, connection: Connection) -> None:
        try:
            self.handle_connection(connection)
        except Exception:
            logger.warning("error serving %s", connection.address, exc_info=True)
        finally:
            connection.close()
            with self._registry_lock:
                self._connections.discard(connection)
            connection.done.set()


class _Shortage:
    """A resource the accept loop ran out of: logged once when an episode begins.

    While it lasts, every failure would say the same thing, as fast as
    clients connect: the first one is a warning, the rest are counted, and
    the end of the episode is logged at INFO with the count. Used by the
    accept thread only.
    """

    def __init__(self, began: str, ended: str) -> None:
        self._began = began  # formatted with the error
        self._ended = ended  # formatted with the count of failures
        self._failures = 0

    def occurred(self, error: BaseException) -> None:
        """One more failure for want of the resource."""
        if not self._failures:
            logger.warning(self._began, error)
        self._failures += 1

    def ended(self) -> None:
        """The resource was there when needed: any episode is over."""
        if self._failures:
            logger.info(self._ended, self._failures)
            self._failures = 0


def _bind(host: str, port: int, backlog: int) -> socket.socket:
    """Return a listening TCP socket for *host* (IPv4 or IPv6 literal or name).

    Raises OSError naming ``host:port`` (as its ``filename``) when the
    address cannot be bound, e.g. a port in use.
    """
    if not isinstance(port, int) or not 0 <= port <= 65535:
        # getaddrinfo would take 70000 as 70000 % 65536 and bind another port.
        raise ValueError(f"port must be an int from 0 to 65535 (0: any free port), not {port!r}")
    family, type_, proto, _, sockaddr = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, type_, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(sockaddr)
        sock.listen(backlog)
    except OSError as error:  # "Address already in use" alone does not say which
        sock.close()
        raise type(error)(error.errno, error.strerror, f"{format_url_host(host)}:{port}") from None
    except BaseException:
        sock.close()
        raise
    return sock


def _wait_done(connections: list[Connection], timeout: float) -> list[Connection]:
    """Wait up to *timeout* in all for *connections* to be served; return the rest."""
    deadline = time.monotonic() + timeout
    return [c for c in connections if not c.done.wait(max(0.0, deadline - time.monotonic()))]
