"""The console hears a run's progress (not stored, not replayed) and its end (a stored event)."""

from __future__ import annotations

from typing import Any

import pytest
from channels.layers import get_channel_layer
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from tests.backend.screening.helpers import QUARTER, add_alerts, add_phone, backdate
from tests.conftest import make_subject

pytestmark = pytest.mark.django_db


async def _drain(channel: str) -> list[dict[str, Any]]:
    import asyncio

    layer = get_channel_layer()
    messages = []
    while True:
        try:
            messages.append(await asyncio.wait_for(layer.receive(channel), timeout=0.05))
        except TimeoutError:
            return messages


@override_settings(SCREENING_CHUNK_SIZE=2)
def test_progress_is_live_only_and_the_finished_run_is_a_console_event(
    office_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from asgiref.sync import async_to_sync

    from backend.monitoring.events import ALL_OFFICES_GROUP, office_group
    from backend.monitoring.models import ConsoleEvent
    from backend.screening.services import plan_screening, start_screening, work_on

    for _ in range(5):
        subject = make_subject(office_a)
        backdate(subject)
        add_phone(subject)
        add_alerts(subject, "lost_contact", 5)
        add_alerts(subject, "curfew", 6)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(ALL_OFFICES_GROUP, channel)
    office_channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(office_group(office_a.pk), office_channel)

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        screening = start_screening(quarter=QUARTER, office=office_a, now=timezone.now())
    # The queued task ran eagerly after the commit.
    screening.refresh_from_db()
    assert screening.status == "finished"
    assert plan_screening(screening.pk) == 0 and work_on(screening.pk) == 0

    events = [m["event"] for m in async_to_sync(_drain)(channel)]
    progress = [e for e in events if e["type"] == "screening.progress"]
    assert progress and all(e["seq"] is None for e in progress)
    assert [e["data"]["done"] for e in progress] == sorted(e["data"]["done"] for e in progress)
    assert progress[-1]["data"] == {
        "id": screening.pk,
        "quarter": QUARTER,
        "status": "finished",
        "done": 5,
        "total": 5,
    }
    finished = [e for e in events if e["type"] == "screening.finished"]
    assert len(finished) == 1 and finished[0]["seq"] is not None
    assert finished[0]["data"]["counts"]["high"] == 5
    # Only the end is stored (and so replayed); the office's own consoles heard both.
    stored = list(ConsoleEvent.objects.filter(type__startswith="screening.").values_list("type", flat=True))
    assert stored == ["screening.finished"]
    office_events = {m["event"]["type"] for m in async_to_sync(_drain)(office_channel)}
    assert office_events == {"screening.progress", "screening.finished"}
