"""The default transport: pushes nothing, logs every message and keeps it in an outbox."""

from __future__ import annotations

import itertools
import logging
import threading
from typing import ClassVar

from notifications.message import Message
from notifications.transport import DeliveryResult, Transport

logger = logging.getLogger(__name__)


class ConsoleTransport(Transport):
    """Logs each message and appends it to ``outbox``; every token is reported delivered.

    This is what a developer machine, the test suite and the demo server use, so that the
    rest of the system runs without Firebase credentials. Tests read ``outbox`` to see what
    would have been pushed.
    """

    name: ClassVar[str] = "console"

    def __init__(self, *, log_level: int = logging.INFO) -> None:
        self.outbox: list[Message] = []
        self._log_level = log_level
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def send(self, message: Message) -> list[DeliveryResult]:
        with self._lock:
            self.outbox.append(message)
            number = next(self._ids)
        logger.log(
            self._log_level,
            "push #%d to %d token(s) [%s]: %s | %s | data=%s",
            number,
            len(message.tokens),
            message.priority.value,
            message.title,
            message.body,
            message.data,
        )
        return [DeliveryResult.delivered(token, f"console-{number}") for token in message.tokens]

    def clear(self) -> None:
        """Empty the outbox (between tests)."""
        with self._lock:
            self.outbox.clear()
