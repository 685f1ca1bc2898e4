"""What the server has pending for a phone, returned in every check-in answer.

FCM does not reach phones in mainland China without Google services, so reminders and commands
also travel back in the answer to each upload (the fallback channel).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from backend.supervision.models import Device


def pending_for_phone(device: Device, uploaded_at: dt.datetime | None = None, rows: Any = None,
                      ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(reminders, commands)`` waiting for ``device``.

    Reminders are those of the device's subject that are due and neither acknowledged nor
    expired (``backend.reminders``); there are no commands yet. ``rows`` are the reminders the
    upload's own statement brought along (``pending_for_phone_sql``), saving a query.
    """
    # Imported here: reminders imports monitoring, and this module is imported by monitoring.
    from backend.reminders.services import pending_payload

    return pending_payload(device, uploaded_at, rows), []


def pending_for_phone_sql(subject: str) -> str:
    """The pending reminders' rows as one SQL expression, for the PostgreSQL upload statement to
    carry along (one round trip per upload instead of two); ``subject`` is an SQL expression of
    the person's id. Its parameters: ``pending_for_phone_params``."""
    from backend.reminders.services import pending_json_sql

    return pending_json_sql(subject)


def pending_for_phone_params(uploaded_at: dt.datetime) -> list[Any]:
    """The parameters of ``pending_for_phone_sql`` for the upload ``uploaded_at``."""
    from backend.reminders.services import pending_params

    return pending_params(uploaded_at)
