"""Push tokens: the subject's phone's, and those of the staff phones and browsers woken for
critical alerts."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from backend.accounts.models import User
from backend.reminders.models import Reminder, StaffPushToken
from backend.reminders.services.answers import pending_reminders
from backend.supervision.models import Device

PushStatus = Reminder.PushStatus


def set_device_push_token(device: Device, token: str | None) -> Device:
    """Store (or with an empty value clear) the phone's push token.

    A token belongs to one app installation, so it is taken off any other phone record holding
    it: a handed-on phone must not receive its previous owner's reminders. When the token changes,
    reminders still pending that could not be pushed are queued again.
    """
    token = (token or "").strip()
    with transaction.atomic():
        previous = Device.objects.select_for_update().values_list("push_token", flat=True).get(pk=device.pk)
        if token:
            Device.objects.filter(push_token=token).exclude(pk=device.pk).update(push_token="")
        Device.objects.filter(pk=device.pk).update(push_token=token)
        device.push_token = token
        if token and token != previous:
            # A new token gets a fresh set of tries; the log numbers its attempts from 1 again.
            (
                pending_reminders(device.subject_id)
                .filter(push_status__in=[PushStatus.NO_TOKEN, PushStatus.FAILED])
                .update(
                    push_status=PushStatus.PENDING,
                    push_attempts=0,
                    push_next_at=timezone.now(),
                    push_finished_at=None,
                )
            )
    return device


def register_staff_push_token(user: User, token: str, platform: str) -> StaffPushToken:
    """Register the push token of the phone or browser ``user`` is logged in on.

    A token moves to whoever registers it last (a shared duty phone), and registering again
    revives a token that was forgotten.
    """
    token = token.strip()
    if not token:
        raise ValidationError({"push_token": [_("This field may not be blank.")]})
    record, _created = StaffPushToken.objects.update_or_create(
        token=token,
        defaults={"user": user, "platform": platform, "forgotten_at": None, "forgotten_reason": ""},
    )
    return record


def unregister_staff_push_token(user: User, token: str) -> int:
    """Stop pushing to ``token`` (logout on that phone). Returns how many tokens were forgotten."""
    return StaffPushToken.objects.filter(user=user, token=token.strip(), forgotten_at__isnull=True).update(
        forgotten_at=timezone.now(), forgotten_reason="unregistered by the staff member"
    )
