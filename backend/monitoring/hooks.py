"""What the server has pending for a phone, returned in every check-in answer.

FCM does not reach phones in mainland China without Google services, so reminders and commands
also travel back in the answer to each upload (the fallback channel).
"""

from __future__ import annotations

from typing import Any

from backend.supervision.models import Device


def pending_for_phone(device: Device) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(reminders, commands)`` waiting for ``device``."""
    return [], []
