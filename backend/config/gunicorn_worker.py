"""The API's gunicorn worker: gunicorn's sync worker with two changes to how it waits.

``gunicorn.conf.py`` (read by gunicorn from the directory it starts in: the project's root, the
image's ``/app``) names it. Measured in ``docs/benchmarks.md`` ("The API's gunicorn worker").

- **One idle worker woken per new connection.** gunicorn's idle sync workers wait for the
  listening socket in ``select()``, which wakes every one of them for each new connection: all
  try ``accept()``, all but one fail, and all go back to sleep, each a turn through the
  interpreter and the scheduler. Sync workers close every connection after its answer, so that
  happens for every request. Here they wait in ``epoll`` with ``EPOLLEXCLUSIVE`` (Linux 4.5+),
  which wakes one waiter (the kernel's guarantee: at least one) for each. Elsewhere, gunicorn's
  own wait.
- **No lingering after a request read whole.** After its answer gunicorn half-closes the
  connection and then waits, up to 2 s, for the client to close its side, reading and
  discarding what it sends meanwhile (RFC 9112, section 9.6: closing with unread request bytes
  in the kernel's buffer makes it reset the connection, and the client may lose the answer it
  has not read yet). The worker serves no one else while it waits. When the request's body was
  read to its end (every request the API reads, every request without a body) and nothing more
  has arrived, there is nothing to discard: the worker closes the connection at once (the
  client sees the same FIN) and takes the next. Anything else (a body left unread, a chunked
  body, bytes past the request) gets gunicorn's lingering close. What this gives up: a client
  that pipelines a second request on a connection the server closes, sending it after the
  close, is reset; HTTP clients no longer pipeline, and a proxy never does to its upstream.
"""

from __future__ import annotations

import os
import select
import socket
from typing import Any

from gunicorn.http.body import LengthReader
from gunicorn.workers.sync import SyncWorker as GunicornSyncWorker

EXCLUSIVE_WAKEUP = hasattr(select, "EPOLLEXCLUSIVE")


class SyncWorker(GunicornSyncWorker):  # type: ignore[misc]  # gunicorn ships no types
    """gunicorn's sync worker, woken alone for a new connection and not lingering after a
    request read whole (see the module's text)."""

    _poller: select.epoll | None = None
    _ready: dict[int, Any]

    def wait(self, timeout: float) -> list[Any] | None:
        """``SyncWorker.wait``: the listening sockets (or the wake-up pipe) that are ready, after
        at most ``timeout`` seconds."""
        if not EXCLUSIVE_WAKEUP:
            return super().wait(timeout)  # type: ignore[no-any-return]
        self.notify()  # the arbiter's sign of life, as gunicorn's wait gives it
        if self._poller is None:
            self._poller, self._ready = select.epoll(), {}
            for listener in self.sockets:
                self._poller.register(listener.fileno(), select.EPOLLIN | select.EPOLLEXCLUSIVE)
                self._ready[listener.fileno()] = listener
            # Signals write to this pipe (gunicorn's wake-up): every worker must hear them.
            self._poller.register(self.PIPE[0], select.EPOLLIN)
            self._ready[self.PIPE[0]] = self.PIPE[0]
        # A closed listener (the worker is stopping) leaves the epoll set by itself: the poll
        # then times out and the worker's loop sees it is no longer alive.
        ready = [self._ready[fd] for fd, _events in self._poller.poll(timeout)]
        if self.PIPE[0] in ready:
            os.read(self.PIPE[0], 1)
        return ready

    def handle_request(self, listener: Any, req: Any, client: socket.socket, addr: Any) -> None:
        super().handle_request(listener, req, client, addr)
        # Answered in full (an error raised above takes gunicorn's path). gunicorn then closes
        # the connection with its lingering close, which finds it closed and has nothing to do.
        # TLS in gunicorn itself (not this project's way: a proxy ends it) keeps gunicorn's close.
        if not self.cfg.is_ssl and read_whole(req) and not client_sent_more(client):
            client.close()


def read_whole(req: Any) -> bool:
    """Whether the body of gunicorn's request ``req`` has been taken off the connection to its
    end (gunicorn reads ahead of the application; a request without a body has one of length 0).
    A chunked body (its length unknown beforehand) counts as not."""
    reader = getattr(getattr(req, "body", None), "reader", None)
    return isinstance(reader, LengthReader) and reader.length == 0


def client_sent_more(client: socket.socket) -> bool:
    """Whether bytes the server has not read wait in the connection (or it cannot tell)."""
    try:
        return bool(client.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))  # b"": the client closed
    except BlockingIOError:
        return False
    except (OSError, ValueError):  # ValueError: a TLS socket takes no flags
        return True
