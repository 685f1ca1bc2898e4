"""Demo mode: every staff member of the demo county gets the published demo authenticator key."""

from __future__ import annotations

from django.conf import settings

from backend.accounts.models import User
from backend.accounts.otp import DEMO_TOTP_BASE32, give_demo_device


def give_demo_authenticators() -> str:
    if not settings.DEMO_MODE:
        return "staff authenticators: not in demo mode, none given"
    count = 0
    # Staff who enrolled an authenticator of their own keep it.
    for user in User.objects.filter(is_active=True).exclude(totpdevice__confirmed=True):
        give_demo_device(user)
        count += 1
    return f"staff authenticators: {count} staff share the demo TOTP key {DEMO_TOTP_BASE32}"
