"""How staff requests are authenticated: hashed, expiring API tokens, and verified sessions.

``Authorization: Token <key>``: the key is 40 random characters; the server keeps only its SHA-256,
so a copy of the database holds no usable token. Tokens are minted by a login that verified the
second factor, and lapse after ``STAFF_SESSION_MAX_AGE`` or ``STAFF_IDLE_TIMEOUT`` without use.

Sessions count only once the second factor was verified for them (django-otp's middleware says
so); a session that signed in with a password alone is not a staff session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme, TokenScheme
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.request import Request

from backend.accounts import sessions
from backend.accounts.models import StaffToken, User
from backend.accounts.otp import otp_required

PREFIX_LENGTH = 8


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def mint_token(user: User) -> str:
    """A new API token for ``user`` (after a verified login); the key is shown once, never stored."""
    key = secrets.token_hex(20)
    now = timezone.now()
    StaffToken.objects.create(
        user=user,
        key_hash=hash_key(key),
        prefix=key[:PREFIX_LENGTH],
        expires_at=now + dt.timedelta(seconds=sessions.max_age()),
        last_used_at=now,
    )
    return key


def revoke_token(key: str) -> int:
    return StaffToken.objects.filter(key_hash=hash_key(key)).delete()[0]


class StaffTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>`` against the hashed, expiring tokens."""

    model = StaffToken

    def authenticate_credentials(self, key: str) -> tuple[User, StaffToken]:
        now = timezone.now()
        token = StaffToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        idle = (now - token.last_used_at).total_seconds() > sessions.idle_timeout()
        if token.expires_at <= now or idle:
            token.delete()
            raise exceptions.AuthenticationFailed(_("The token has expired; sign in again."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if (now - token.last_used_at).total_seconds() >= sessions.SEEN_WRITE_EVERY_S:
            with transaction.atomic():
                StaffToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token


class VerifiedSessionAuthentication(SessionAuthentication):
    """Django's session, counted only when its second factor was verified."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if otp_required() and not (callable(getattr(user, "is_verified", None)) and user.is_verified()):
            return None
        return result


# ---------------------------------------------------------------------------------------------
# The OpenAPI description of both: the spec's tokenAuth and cookieAuth schemes, as before
# ---------------------------------------------------------------------------------------------


class StaffTokenScheme(TokenScheme):  # type: ignore[no-untyped-call]
    target_class = "backend.accounts.authentication.StaffTokenAuthentication"
    priority = 1


class VerifiedSessionScheme(SessionScheme):  # type: ignore[no-untyped-call]
    target_class = "backend.accounts.authentication.VerifiedSessionAuthentication"
    priority = 1
