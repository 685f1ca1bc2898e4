"""The live console websocket: alerts and latest positions of the offices the user may see.

Protocol (JSON messages):

* server → ``{"type": "hello", "last_seq": N, "user": {...}}`` on connect;
* client → ``{"type": "resume", "after_seq": N}`` (or ``{"type": "subscribe"}`` = resume from the
  hello's ``last_seq``): the server sends every stored event after N, in order, then
  ``{"type": "replay_done", "last_seq": M}``, then live events. Live events that arrive meanwhile
  are held back and sent after the replay, with duplicates dropped;
* server → ``{"type": "alert.created" | "alert.updated", "seq": N, "office_id": .., "data": {...}}``,
  ``{"type": "position", "seq": null, ...}`` (not replayed; reload /api/v1/positions);
* server → ``{"type": "resync", ...}`` when a console is too far behind to replay: reload from the API;
* client → ``{"type": "ping"}`` → ``{"type": "pong"}``.

A numbered event that arrives with a gap before it (channels-redis drops group messages past its
capacity) makes the consumer fetch the gap from the database first. A dropped *tail* of a burst has
no later event to reveal it, so after every live event the consumer also looks for newer stored
events shortly afterwards, and every ``CATCH_UP_EVERY_S`` seconds anyway: nothing is missed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db.models import Max

from backend.accounts.models import User
from backend.accounts.scoping import visible_office_ids
from backend.audit.models import AccessLog
from backend.audit.services import record_access
from backend.monitoring.events import ALL_OFFICES_GROUP, office_group
from backend.monitoring.models import ConsoleEvent

REPLAY_PAGE = 500
REPLAY_LIMIT = 20_000
CATCH_UP_AFTER_EVENT_S = 0.3
CATCH_UP_EVERY_S = 10.0


class ConsoleConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    groups: list[str]

    async def connect(self) -> None:
        user = self.scope.get("user")
        if not isinstance(user, User) or not user.is_active:
            await self.close(code=4401)
            return
        self.user = user
        self.office_ids = visible_office_ids(user)
        self.groups = [ALL_OFFICES_GROUP] if self.office_ids is None else [office_group(o) for o in self.office_ids]
        for group in self.groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.live = False
        self.held: list[dict[str, Any]] = []
        self.sending = asyncio.Lock()  # live delivery and catch-up never interleave
        self.soon: asyncio.Task[None] | None = None
        self.watch: asyncio.Task[None] | None = None
        await self.accept()
        self.last_seq = await self._max_seq()
        await database_sync_to_async(self._audit)("connect")
        await self.send_json({"type": "hello", "last_seq": self.last_seq,
                              "user": {"id": user.pk, "username": user.username, "role": user.role,
                                       "office_ids": None if self.office_ids is None else sorted(self.office_ids)}})

    async def disconnect(self, code: int) -> None:
        for task in (getattr(self, "soon", None), getattr(self, "watch", None)):
            if task is not None:
                task.cancel()
        for group in getattr(self, "groups", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind in ("resume", "subscribe"):
            after = content.get("after_seq", self.last_seq) if kind == "resume" else self.last_seq
            if isinstance(after, bool) or not isinstance(after, int) or after < 0:
                await self.send_json({"type": "error", "code": "invalid", "detail": "after_seq must be an integer ≥ 0"})
                return
            await self._replay(after)
        else:
            await self.send_json({"type": "error", "code": "unknown_type", "detail": f"unknown message type {kind!r}"})

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
            await asyncio.sleep(CATCH_UP_EVERY_S)
            await self._catch_up()

    async def _replay(self, after: int) -> None:
        self.live = False
        async with self.sending:
            newest = await self._max_seq()
            if newest - after > REPLAY_LIMIT:
                await self.send_json({"type": "resync", "last_seq": newest,
                                      "detail": "too far behind to replay; reload alerts from the API"})
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

    def _visible(self) -> Any:
        queryset = ConsoleEvent.objects.all()
        return queryset if self.office_ids is None else queryset.filter(office_id__in=self.office_ids)

    @database_sync_to_async
    def _max_seq(self) -> int:
        return int(ConsoleEvent.objects.aggregate(m=Max("seq"))["m"] or 0)

    @database_sync_to_async
    def _events_between(self, after: int, before: int | None, limit: int = REPLAY_LIMIT) -> list[dict[str, Any]]:
        queryset = self._visible().filter(seq__gt=after)
        if before is not None:
            queryset = queryset.filter(seq__lt=before)
        return [{"type": e.type, "seq": e.seq, "office_id": e.office_id, "data": e.payload}
                for e in queryset.order_by("seq")[:limit]]

    def _audit(self, what: str) -> None:
        record_access(None, action=AccessLog.Action.READ, resource="console", actor=self.user,
                      detail={"event": what, "groups": self.groups})
