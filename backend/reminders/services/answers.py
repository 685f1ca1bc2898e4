"""The fallback channel: pending reminders ride back in every check-in answer, and the phone
acknowledges them. FCM does not reach most phones in mainland China, so this is how most
reminders arrive.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from backend.core.db import hot_cursor
from backend.reminders import sql
from backend.reminders.models import Reminder
from backend.reminders.sql import MAX_PENDING_IN_ANSWER
from backend.reminders.upstream import last_upload as _last_upload
from backend.supervision.models import Device

Kind = Reminder.Kind


def pending_reminders(
    subject_id: int, now: dt.datetime | None = None, last_upload: dt.datetime | None = None
) -> QuerySet[Reminder]:
    """Reminders the phone should show: due, not acknowledged, not expired, not superseded.

    A check-in prompt is superseded by any upload received after it was created. The check-in
    path passes ``last_upload`` (the upload it is answering) to save a query.
    """
    now = now or timezone.now()
    queryset = Reminder.objects.filter(
        subject_id=subject_id, acknowledged_at__isnull=True, send_at__lte=now
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    last_upload = last_upload or _last_upload(subject_id)
    if last_upload is not None:
        queryset = queryset.exclude(kind=Kind.CHECKIN, created_at__lt=last_upload)
    return queryset.order_by("send_at", "id")


def pending_payload(
    device: Device, uploaded_at: dt.datetime | None = None, rows: Any = None
) -> list[dict[str, Any]]:
    """Pending reminders in the check-in answer's shape: ``{id, type, title, body, data}``.

    With ``uploaded_at`` (the check-in path, once per upload) the rule of ``pending_reminders``
    runs as one plain statement, unless the upload's own statement already brought the rows
    (``rows``: ``sql.pending_reminders_json_sql``'s array, as JSON text or decoded).
    """
    if uploaded_at is None:
        found = pending_reminders(device.subject_id).values_list("pk", "kind", "title", "body", "data")
        return [_pending_item(*row) for row in found[:MAX_PENDING_IN_ANSWER]]
    if rows is not None:
        return [_pending_item(*row) for row in (json.loads(rows) if isinstance(rows, str) else rows)]
    with hot_cursor() as cursor:
        cursor.execute(
            sql.PENDING_REMINDERS,
            {"subject_id": device.subject_id, **sql.pending_reminders_params(uploaded_at)},
        )
        found = cursor.fetchall()
    data_field = Reminder._meta.get_field("data")
    # Django reads the expression only to tell a key transform: a raw row has none (the stubs want one).
    return [
        _pending_item(pk, kind, title, body, data_field.from_db_value(data, None, connection))  # type: ignore[arg-type]
        for pk, kind, title, body, data, _send_at in found
    ]


def _pending_item(pk: int, kind: str, title: str, body: str, data: Any) -> dict[str, Any]:
    return {"id": str(pk), "type": kind, "title": title, "body": body, "data": dict(data)}


def acknowledge_reminder(device: Device, reminder_id: int) -> Reminder:
    """The phone has shown the reminder: stop returning and pushing it. Acknowledging twice is fine."""
    reminder = Reminder.objects.filter(pk=reminder_id, subject_id=device.subject_id).first()
    if reminder is None:
        raise Http404
    now = timezone.now()
    Reminder.objects.filter(pk=reminder.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_device=device
    )
    reminder.refresh_from_db(fields=["acknowledged_at", "acknowledged_device"])
    return reminder
