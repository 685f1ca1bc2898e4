"""The one way to publish a live console event.

``publish_event`` numbers the event from a counter locked in the current transaction, stores it
(the database is the record), and after commit hands it to the channel layer groups of the
office and of the bureau-wide watchers. The channel layer is only delivery: a console that
reconnects, or that lost messages to channels-redis's capacity limit, replays from the table.
``publish_positions`` is for ephemeral latest-position updates, which are not replayed;
``publish_transient`` for any other event that is not (a screening's progress).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

from backend.monitoring.models import ConsoleEvent, Counter

log = logging.getLogger(__name__)

ALL_OFFICES_GROUP = "console.all"
EVENT_SEQUENCE = "console_event"


def office_group(office_id: int) -> str:
    return f"console.office.{office_id}"


@dataclass(frozen=True)
class LiveEvent:
    """What consoles receive: ``{"type": ..., "seq": ..., "office_id": ..., "data": {...}}``."""

    type: str
    seq: int | None
    office_id: int
    data: dict[str, Any]

    def as_message(self) -> dict[str, Any]:
        return {"type": self.type, "seq": self.seq, "office_id": self.office_id, "data": self.data}


def next_sequence(name: str = EVENT_SEQUENCE) -> int:
    """The next number of ``name``, taken under a row lock held until the transaction ends."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_sequence must run inside a transaction")
    table = Counter._meta.db_table
    with transaction.get_connection().cursor() as cursor:
        # The UPDATE takes the row lock; RETURNING saves a round trip (PostgreSQL and SQLite >= 3.35).
        cursor.execute(f"UPDATE {table} SET value = value + 1 WHERE name = %s RETURNING value", [name])  # noqa: S608
        row = cursor.fetchone()
    if row is None:
        Counter.objects.get_or_create(name=name)
        return next_sequence(name)
    return int(row[0])


def _ensure_json(data: dict[str, Any]) -> dict[str, Any]:
    # Fail fast in the writer, not later in a websocket consumer.
    return json.loads(json.dumps(data, allow_nan=False))  # type: ignore[no-any-return]


class _LayerLoop:
    """One long-lived event loop thread per process for the channel layer.

    ``async_to_sync`` would run every send on a fresh event loop, and channels-redis keeps its
    connection pools per loop: each event would open new Redis connections (tens of ms). Here the
    sends run on one loop whose pools live as long as the process. Re-created after a fork.
    """

    def __init__(self) -> None:
        self.pid = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.lock = threading.Lock()
        # A process that publishes many events at once (the evaluator, a position per person per
        # round) must not open a Redis connection per event: channels-redis caps its pool and
        # refuses the rest ("Too many connections"). A few sends at a time, in order.
        self.sends: asyncio.Semaphore | None = None
        self.pending: set[concurrent.futures.Future[None]] = set()

    def get(self) -> asyncio.AbstractEventLoop:
        with self.lock:
            if self.loop is None or self.pid != os.getpid():
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="channel-layer", daemon=True).start()
                self.loop, self.pid, self.sends, self.pending = loop, os.getpid(), None, set()
            return self.loop

    def submit(self, coroutine: Any) -> concurrent.futures.Future[None]:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.get())
        with self.lock:
            self.pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: concurrent.futures.Future[None]) -> None:
        with self.lock:
            self.pending.discard(future)

    def wait(self, timeout: float) -> None:
        with self.lock:
            pending = list(self.pending)
        if pending:
            concurrent.futures.wait(pending, timeout=timeout)

    def limit(self) -> asyncio.Semaphore:
        """The send limit of the layer loop (call on that loop)."""
        if self.sends is None:
            self.sends = asyncio.Semaphore(4)
        return self.sends


_layer_loop = _LayerLoop()


# After a failed send, sends are skipped for this long: with Redis away each one would wait for
# its connection to be refused (seconds, queued one after another on the layer loop) only to fail.
# Numbered events are in the database and consoles fetch them; positions are sent again next round.
SKIP_AFTER_FAILURE_S = 5.0
_layer_down_until = [0.0]


async def _group_send_all(
    layer: Any, groups: list[str], message: dict[str, Any], label: str, limit: asyncio.Semaphore | None = None
) -> None:
    if time.monotonic() < _layer_down_until[0]:
        log.debug("channel layer away: %s not sent (consoles read it from the database)", label)
        return
    try:
        async with limit or contextlib.nullcontext():
            for group in groups:
                await layer.group_send(group, message)
    except Exception as exc:  # delivery is best effort: the record is committed and consoles replay it
        if time.monotonic() >= _layer_down_until[0]:
            log.warning(
                "channel layer delivery of %s failed (%s); skipping sends for %g s",
                label,
                exc,
                SKIP_AFTER_FAILURE_S,
            )
        _layer_down_until[0] = time.monotonic() + SKIP_AFTER_FAILURE_S


def _send_after_commit(sends: list[tuple[list[str], dict[str, Any]]], label: str) -> None:
    """After commit, each ``(groups, message)``: fire and forget, in order."""

    async def send_all(layer: Any, limited: bool) -> None:
        limit = _layer_loop.limit() if limited else None  # the limit lives on the layer loop
        for groups, message in sends:
            await _group_send_all(layer, groups, message, label, limit)

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        if isinstance(layer, InMemoryChannelLayer):
            # The in-memory layer lives on the caller's loop (tests, the embedded server).
            async_to_sync(send_all)(layer, False)
        else:
            # Fire and forget on the process's layer loop: the request does not wait for Redis.
            _layer_loop.submit(send_all(layer, True))

    transaction.on_commit(send)


def wait_for_deliveries(timeout: float = 1.0) -> None:
    """Wait (at most ``timeout`` s) until this process's channel-layer sends are done.

    The sends run on the layer loop's thread, which needs the GIL: a process that goes straight
    on to CPU-bound work (the evaluator's next round) would hold them back by Python's switch
    interval (5 ms) at a time. The evaluator calls this after each round.
    """
    _layer_loop.wait(timeout)


def _send_event_after_commit(event: LiveEvent) -> None:
    message = {"type": "console.event", "event": event.as_message()}
    _send_after_commit(
        [([office_group(event.office_id), ALL_OFFICES_GROUP], message)], f"{event.type} #{event.seq}"
    )


def publish_event(office_id: int, type: str, data: dict[str, Any], seq: int | None = None) -> LiveEvent:
    """Store a numbered console event and deliver it after commit. Call inside a transaction.

    ``seq`` is given when the caller already took the number (an alert carries its own).
    """
    data = _ensure_json(data)
    seq = seq if seq is not None else next_sequence()
    ConsoleEvent.objects.create(seq=seq, office_id=office_id, type=type, payload=data)
    event = LiveEvent(type=type, seq=seq, office_id=office_id, data=data)
    _send_event_after_commit(event)
    return event


def publish_transient(office_ids: list[int], type: str, data: dict[str, Any]) -> None:
    """Deliver an event that is neither stored nor replayed (a progress bar) after commit, to the
    groups of ``office_ids`` and of the bureau-wide watchers. A console that misses one shows
    the next, or reads the state from the API."""
    message = {
        "type": "console.event",
        "event": {"type": type, "seq": None, "office_id": None, "data": _ensure_json(data)},
    }
    groups = [office_group(office_id) for office_id in office_ids] + [ALL_OFFICES_GROUP]
    _send_after_commit([(groups, message)], type)


def publish_positions(positions: list[tuple[int, dict[str, Any]]]) -> None:
    """Deliver latest-position updates ``(office_id, data)`` after commit (not stored, not replayed).

    An evaluator round moves many people at once: one channel-layer message per office (and
    one for the bureau-wide watchers) carries all of that office's positions, instead of two
    group sends per person, which cost the evaluator more than evaluating them. A process that
    coalesces positions (``coalesce_positions``: the evaluators) keeps them after commit and
    sends the latest of each person at most every interval.
    """
    if not positions:
        return
    events = [
        (
            office_id,
            LiveEvent(type="position", seq=None, office_id=office_id, data=_ensure_json(data)).as_message(),
        )
        for office_id, data in positions
    ]
    if _coalesced.interval_s is None:
        _send_positions(events)
    else:
        transaction.on_commit(lambda: _coalesced.keep(events))


def _send_positions(events: list[tuple[int, dict[str, Any]]]) -> None:
    by_office: dict[int, list[dict[str, Any]]] = {}
    for office_id, event in events:
        by_office.setdefault(office_id, []).append(event)
    sends = [
        ([office_group(office_id)], {"type": "console.events", "events": office_events})
        for office_id, office_events in by_office.items()
    ]
    sends.append(([ALL_OFFICES_GROUP], {"type": "console.events", "events": [event for _o, event in events]}))
    _send_after_commit(sends, f"{len(events)} positions")


class _CoalescedPositions:
    """The latest committed position of each person, not yet sent (a coalescing process's)."""

    def __init__(self) -> None:
        self.interval_s: float | None = None
        self.latest: dict[Any, tuple[int, dict[str, Any]]] = {}
        self.sent_at = 0.0

    def keep(self, events: list[tuple[int, dict[str, Any]]]) -> None:
        for office_id, event in events:
            self.latest[event["data"].get("subject_id")] = (office_id, event)
        self.flush(force=False)

    def flush(self, force: bool) -> None:
        now = time.monotonic()
        if not self.latest or (
            not force and self.interval_s is not None and now - self.sent_at < self.interval_s
        ):
            return
        events, self.latest, self.sent_at = list(self.latest.values()), {}, now
        _send_positions(events)


_coalesced = _CoalescedPositions()


def coalesce_positions(interval_s: float | None) -> None:
    """From now on, send this process's positions at most every ``interval_s`` seconds, the
    latest of each person (``None``: each round's at once, the default).

    A live map needs no more, and each send costs the sender two channel-layer group sends: in
    an evaluator under a stream of small uploads that was a third of the CPU of every round.
    The process must call ``flush_positions`` now and then (the evaluator: at every poll), or
    the last positions would wait for the next round.
    """
    flush_positions(force=True)
    _coalesced.interval_s = interval_s


def flush_positions(force: bool = False) -> None:
    """Send the kept positions if the coalescing interval has passed since the last send (or ``force``)."""
    _coalesced.flush(force)
