"""The live console websocket: alerts and latest positions of the offices the user may see.

Protocol: JSON objects in text frames, one message per frame, each with a ``"type"``.

* server → ``{"type": "hello", "last_seq": N, "degraded": false, "user": {...}}`` on connect;
  ``"degraded": true`` when the channel layer (Redis) cannot be reached: the console is then served
  from the database (stored events every ``CATCH_UP_DEGRADED_S``, no live positions) and gets
  ``{"type": "live", "degraded": false}`` once Redis is back. A console that finds Redis gone later
  (it joins its groups again every ``CATCH_UP_EVERY_S``) is sent ``{"type": "live", "degraded": true}``;
* client → ``{"type": "resume", "after_seq": N}`` (or ``{"type": "subscribe"}`` = resume from the
  hello's ``last_seq``): the server sends every stored event after N, in order, then
  ``{"type": "replay_done", "last_seq": M}``, then live events. Live events that arrive meanwhile
  are held back and sent after the replay, with duplicates dropped;
* server → ``{"type": "alert.created" | "alert.updated", "seq": N, "office_id": .., "data": {...}}``,
  ``{"type": "position", "seq": null, ...}`` (not replayed; reload /api/v1/positions);
* server → ``{"type": "resync", "last_seq": M, ...}`` when a console cannot be replayed to: too far
  behind, or ``after_seq`` beyond the newest stored event (another database, or a made-up number).
  The console reloads alerts from the API; live events follow from M, as after any replay;
* client → ``{"type": "ping"}`` → ``{"type": "pong"}``.

What the client may send, and what a mistake costs:

* ``ping`` and ``subscribe`` carry no other field; ``resume`` carries exactly ``after_seq``, an
  integer 0 ≤ n ≤ 2**63 - 1 (the range of the database column; ``true``, ``1.0``, ``"1"`` and
  ``1e23`` are not integers here).
* A text frame that is not JSON, nests deeper than ``MAX_JSON_DEPTH``, is not an object, has an
  unknown ``type`` or a wrong field is answered ``{"type": "error", "code": C, "detail": "..."}``
  with ``C`` one of ``ERROR_CODES``, and the socket stays open: the console's state (live or
  replaying, its last sequence number) is unchanged by a refused message.
* A binary frame closes the socket with 1003 (unsupported data): this protocol is text only.
* A text frame over ``MAX_FRAME_BYTES`` (UTF-8) closes it with 1009 (message too big); nothing the
  protocol defines comes near that size, and the frame is never parsed.
* A handshake without a logged-in, active staff user is closed with 4401. A websocket path with
  no consumer is refused by ``backend.config.routing`` (HTTP 404 where the server can say so,
  else close code 4404).

Nesting is measured on the raw text before ``json.loads`` runs, since the parser recurses once
per level and a frame of ``[[[[…`` a few thousand deep would end in ``RecursionError``.

A numbered event that arrives with a gap before it (channels-redis drops group messages past its
capacity) makes the consumer fetch the gap from the database first. A dropped *tail* of a burst has
no later event to reveal it, so after every live event the consumer also looks for newer stored
events shortly afterwards, and every ``CATCH_UP_EVERY_S`` seconds anyway: nothing is missed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db.models import Max

from backend.accounts.models import User
from backend.accounts.scoping import visible_office_ids
from backend.accounts.services import staff_group
from backend.accounts.sessions import websocket_refusal
from backend.audit.models import AccessLog
from backend.audit.services import record_access
from backend.core.json_input import MAX_JSON_DEPTH, json_depth, too_deep_message
from backend.monitoring.events import ALL_OFFICES_GROUP, office_group
from backend.monitoring.models import ConsoleEvent

log = logging.getLogger(__name__)

REPLAY_PAGE = 500
REPLAY_LIMIT = 20_000
CATCH_UP_AFTER_EVENT_S = 0.3
CATCH_UP_EVERY_S = 10.0
# Without the channel layer (Redis away) every event comes from the database, this often.
CATCH_UP_DEGRADED_S = 2.0

# ---------------------------------------------------------------------------------------------
# What a client may send
# ---------------------------------------------------------------------------------------------

# The largest client message is a resume with a 19-digit number (about 50 bytes); the rest is room.
MAX_FRAME_BYTES = 4096
MAX_SEQ = 2**63 - 1  # ConsoleEvent.seq is a BigIntegerField
CLOSE_UNSUPPORTED_DATA = 1003
CLOSE_TOO_BIG = 1009
CLOSE_UNAUTHENTICATED = 4401

# Every message type a client may send, with the fields it carries besides "type".
CLIENT_MESSAGES: dict[str, frozenset[str]] = {
    "ping": frozenset(),
    "subscribe": frozenset(),
    "resume": frozenset({"after_seq"}),
}
# The "code" of every error message; the "detail" is for people and may change.
ERROR_CODES = frozenset({"invalid_json", "too_deep", "not_an_object", "unknown_type", "invalid"})


def seq_problem(value: Any) -> str | None:
    """Why ``value`` is not a sequence number a client may resume after, or ``None``."""
    # bool is an int subclass in Python, and JSON's 1.0 and 1e23 arrive as floats: none is a number here.
    if isinstance(value, bool) or not isinstance(value, int):
        return "after_seq must be an integer"
    if not 0 <= value <= MAX_SEQ:
        return f"after_seq must be between 0 and {MAX_SEQ}"
    return None


def message_problem(content: Any) -> tuple[str, str] | None:
    """``(error code, detail)`` for a decoded client message that breaks the protocol, or ``None``."""
    if not isinstance(content, dict):
        return "not_an_object", 'a message is a JSON object with a "type"'
    kind = content.get("type")
    if not isinstance(kind, str) or kind not in CLIENT_MESSAGES:
        return "unknown_type", f"the message type must be one of: {', '.join(sorted(CLIENT_MESSAGES))}"
    fields = set(content) - {"type"}
    expected = CLIENT_MESSAGES[kind]
    if fields - expected:
        # The client's own field names are not echoed back: they could be anything, of any length.
        return "invalid", f"{kind} takes only: {', '.join(sorted(expected)) or 'no other field'}"
    if expected - fields:
        return "invalid", f"{kind} needs: {', '.join(sorted(expected - fields))}"
    if kind == "resume":
        problem = seq_problem(content["after_seq"])
        if problem is not None:
            return "invalid", problem
    return None


class ConsoleConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    office_groups: list[str]

    async def connect(self) -> None:
        user = self.scope.get("user")
        # Signed in, second factor verified, within the idle and sign-in limits (backend.accounts).
        if await database_sync_to_async(websocket_refusal)(self.scope) is not None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.office_ids = visible_office_ids(user)
        self.office_groups = (
            [ALL_OFFICES_GROUP] if self.office_ids is None else [office_group(o) for o in self.office_ids]
        )
        self.live = False
        self.held: list[dict[str, Any]] = []
        self.sending = asyncio.Lock()  # live delivery and catch-up never interleave
        self.soon: asyncio.Task[None] | None = None
        self.watch: asyncio.Task[None] | None = None
        self.rejoin: asyncio.Task[None] | None = None
        # Redis away: the console is served from the database until the groups can be joined.
        self.degraded = not await self._join_groups()
        await self.accept()
        self.last_seq = await self._max_seq()
        await database_sync_to_async(self._audit)("connect")
        await self.send_json(
            {
                "type": "hello",
                "last_seq": self.last_seq,
                "degraded": self.degraded,
                "user": {
                    "id": user.pk,
                    "username": user.username,
                    "role": user.role,
                    "office_ids": None if self.office_ids is None else sorted(self.office_ids),
                },
            }
        )
        if self.degraded:
            self.rejoin = asyncio.create_task(self._rejoin())

    async def _join_groups(self, quiet: bool = False) -> bool:
        """Join the user's group (disabling the account closes this socket, see
        ``backend.accounts.services.end_staff_access``) and the offices' groups. False when the
        channel layer (Redis) cannot be reached."""
        groups = [staff_group(self.user.pk), *self.office_groups]
        problem: Exception | None = None
        # Twice: the first command on a pooled connection from before a Redis restart fails.
        for _attempt in range(2):
            try:
                for group in groups:
                    await self.channel_layer.group_add(group, self.channel_name)
            except Exception as exc:  # Redis away (its errors are many): served from the database
                problem = exc
                continue
            return True
        if not quiet:
            log.warning("console of %s without the channel layer: %s", self.user.pk, problem)
        return False

    async def _rejoin(self) -> None:
        """While degraded: check the account as often as the events, join the groups once Redis is back."""
        try:
            await self._rejoin_loop()
        except asyncio.CancelledError:
            raise
        except Exception:  # a background task's error would otherwise vanish with it
            log.exception("console of %s: rejoining the channel layer failed", self.user.pk)

    async def _rejoin_loop(self) -> None:
        while self.degraded:
            await asyncio.sleep(CATCH_UP_DEGRADED_S)
            if not await database_sync_to_async(self._still_allowed)():
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
            if await self._join_groups(quiet=True):
                self.degraded = False
                await self.send_json({"type": "live", "degraded": False})
                if self.live:
                    await self._catch_up()

    async def disconnect(self, code: int) -> None:
        for task in (
            getattr(self, "soon", None),
            getattr(self, "watch", None),
            getattr(self, "rejoin", None),
        ):
            if task is not None:
                task.cancel()
        if not hasattr(self, "user"):
            return
        try:
            for group in self.office_groups:
                await self.channel_layer.group_discard(group, self.channel_name)
            await self.channel_layer.group_discard(staff_group(self.user.pk), self.channel_name)
        except Exception as exc:  # Redis away: the groups' entries expire on their own
            log.info("console of %s left its groups to expire: %s", self.user.pk, exc)

    async def staff_session_ended(self, message: dict[str, Any]) -> None:
        """The account was disabled: close at once."""
        await self.close(code=CLOSE_UNAUTHENTICATED)

    # -- client frames -------------------------------------------------------------------------

    async def websocket_receive(self, message: dict[str, Any]) -> None:
        # Channels' own version indexes message["bytes"] when there is no text: a KeyError for a
        # frame that carries neither.
        await self.receive(text_data=message.get("text"), bytes_data=message.get("bytes"))

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        """Check a frame's kind, size and nesting before it is parsed, then its message's shape."""
        if text_data is None:
            await self.close(code=CLOSE_UNSUPPORTED_DATA, reason="text frames only")
            return
        # A character is at least one UTF-8 byte: the encoding is measured only when it could fit.
        if (
            len(text_data) > MAX_FRAME_BYTES
            or len(text_data.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES
        ):
            await self.close(code=CLOSE_TOO_BIG, reason=f"frames are at most {MAX_FRAME_BYTES} bytes")
            return
        if json_depth(text_data) > MAX_JSON_DEPTH:
            await self.send_error("too_deep", too_deep_message())
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            await self.send_error("invalid_json", "the frame is not JSON text")
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        problem = message_problem(content)
        if problem is not None:
            await self.send_error(*problem)
            return
        kind = content["type"]
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "resume":
            await self._replay(content["after_seq"])
        else:  # subscribe
            await self._replay(self.last_seq)

    async def send_error(self, code: str, detail: str) -> None:
        """Refuse one message (``code`` is one of ``ERROR_CODES``); the socket stays open."""
        await self.send_json({"type": "error", "code": code, "detail": detail})

    # -- channel layer -------------------------------------------------------------------------

    async def console_event(self, message: dict[str, Any]) -> None:
        event = message["event"]
        if not self.live:
            self.held.append(event)
            return
        await self._deliver(event)

    async def console_events(self, message: dict[str, Any]) -> None:
        """Several events in one channel message (the positions of one evaluator round)."""
        for event in message["events"]:
            await self.console_event({"event": event})

    # -- internals -----------------------------------------------------------------------------

    async def _deliver(self, event: dict[str, Any]) -> None:
        seq = event.get("seq")
        if seq is None:
            await self.send_json(event)
            return
        async with self.sending:
            if seq <= self.last_seq:
                return
            if seq > self.last_seq + 1:
                # Either other offices' events (not ours) or messages the channel layer dropped.
                for missed in await self._events_between(self.last_seq, seq):
                    await self.send_json(missed)
            await self.send_json(event)
            self.last_seq = seq
        if self.soon is None or self.soon.done():
            self.soon = asyncio.create_task(self._catch_up_after(CATCH_UP_AFTER_EVENT_S))

    async def _catch_up(self) -> None:
        async with self.sending:
            for event in await self._events_between(self.last_seq, None, REPLAY_PAGE):
                await self.send_json(event)
                self.last_seq = event["seq"]

    async def _catch_up_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        await self._catch_up()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(CATCH_UP_DEGRADED_S if self.degraded else CATCH_UP_EVERY_S)
            if not self.degraded and not await self._join_groups(quiet=True):
                # Joining again costs little and is harmless (a group entry's time is renewed): it
                # finds Redis away, and puts the socket back in groups a restarted Redis forgot.
                await self._go_degraded()
            await self._catch_up()

    async def _go_degraded(self) -> None:
        log.warning("console of %s lost the channel layer; served from the database", self.user.pk)
        self.degraded = True
        await self.send_json({"type": "live", "degraded": True})
        if self.rejoin is None or self.rejoin.done():
            self.rejoin = asyncio.create_task(self._rejoin())

    async def _replay(self, after: int) -> None:
        self.live = False
        async with self.sending:
            newest = await self._max_seq()
            if after > newest or newest - after > REPLAY_LIMIT:
                # Taking a number beyond the newest event as the console's position would drop every
                # live event until the sequence caught up with it: start from the newest instead.
                detail = (
                    "after_seq is beyond the newest event" if after > newest else "too far behind to replay"
                )
                await self.send_json(
                    {"type": "resync", "last_seq": newest, "detail": f"{detail}; reload alerts from the API"}
                )
                self.last_seq = newest
            else:
                self.last_seq = after
                while True:
                    page = await self._events_between(self.last_seq, None, REPLAY_PAGE)
                    for event in page:
                        await self.send_json(event)
                        self.last_seq = event["seq"]
                    if len(page) < REPLAY_PAGE:
                        break
        await self.send_json({"type": "replay_done", "last_seq": self.last_seq})
        self.live = True
        held, self.held = self.held, []
        for event in sorted(held, key=lambda e: (e.get("seq") is not None, e.get("seq") or 0)):
            await self._deliver(event)
        if self.watch is None:
            self.watch = asyncio.create_task(self._watch())

    def _still_allowed(self) -> bool:
        """The account is still active and its sign-in valid (what the staff group's message
        would have said, while it cannot arrive)."""
        # The scope's user is a lazy object (type() of it is not the model).
        active = User.objects.filter(pk=self.user.pk, is_active=True).exists()
        return active and websocket_refusal(self.scope) is None

    def _visible(self) -> Any:
        queryset = ConsoleEvent.objects.all()
        return queryset if self.office_ids is None else queryset.filter(office_id__in=self.office_ids)

    @database_sync_to_async
    def _max_seq(self) -> int:
        return int(ConsoleEvent.objects.aggregate(m=Max("seq"))["m"] or 0)

    @database_sync_to_async
    def _events_between(
        self, after: int, before: int | None, limit: int = REPLAY_LIMIT
    ) -> list[dict[str, Any]]:
        queryset = self._visible().filter(seq__gt=after)
        if before is not None:
            queryset = queryset.filter(seq__lt=before)
        return [
            {"type": e.type, "seq": e.seq, "office_id": e.office_id, "data": e.payload}
            for e in queryset.order_by("seq")[:limit]
        ]

    def _audit(self, what: str) -> None:
        record_access(
            None,
            action=AccessLog.Action.READ,
            resource="console",
            actor=self.user,
            detail={"event": what, "groups": self.office_groups},
        )
