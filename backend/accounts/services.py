"""Staff access actions: ending a staff member's sessions, tokens and open consoles."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from backend.accounts.models import StaffToken, User

log = logging.getLogger(__name__)

# The channel-layer message that makes a staff member's open websockets close.
SESSION_ENDED = "staff.session_ended"


def staff_group(user_id: int) -> str:
    """The channel-layer group every open websocket of one staff member joins."""
    return f"staff.{int(user_id)}"


def end_staff_access(user: User | int, reason: str = "disabled") -> int:
    """End every session and API token of a staff member and close their open websockets.

    Sessions are found by decoding the unexpired ones (a county's staff hold a few hundred at
    most). The websockets are told after the commit, so a rolled-back change closes nothing.
    Returns how many sessions and tokens ended.
    """
    user_id = user if isinstance(user, int) else user.pk
    ended = StaffToken.objects.filter(user_id=user_id).delete()[0]
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id):
            session.delete()
            ended += 1
    transaction.on_commit(lambda: close_websockets(user_id, reason))
    return ended


def close_websockets(user_id: int, reason: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(staff_group(user_id), {"type": SESSION_ENDED, "reason": reason})
    except Exception:  # the channel layer is delivery only: the handshake check refuses them anyway
        log.warning("could not tell the open websockets of a disabled account to close", exc_info=True)


def _remember_was_active(sender: Any, instance: User, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    was_active: bool | None = False
    # A save that does not touch is_active (last_login at each login) needs no look-up.
    if instance.pk is not None and (update_fields is None or "is_active" in update_fields):
        was_active = User.objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()
    setattr(instance, "_was_active", bool(was_active))  # noqa: B010 - not a field of the model


def _end_access_when_disabled(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    if not created and getattr(instance, "_was_active", False) and not instance.is_active:
        end_staff_access(instance, "disabled")
