"""Domain actions on supervised people and their phones."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from backend.accounts.models import User
from backend.core.db import hot_cursor
from backend.supervision import rules, signals
from backend.supervision.models import Device, EnrollmentCode, LevelChange, Subject, SupervisionPolicy
from backend.supervision.signals import phone_enrolled
from backend.supervision.signing import canonical_public_key, public_key_problem
from backend.supervision.sql import DEVICE_COLUMNS, DEVICE_ROW_WIDTH, SUBJECT_COLUMNS, active_device_sql

# Crockford-like alphabet: no 0/O, 1/I/L, so a code read aloud over the phone survives.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
LAST_SEEN_RESOLUTION = timedelta(seconds=60)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


@dataclass(frozen=True)
class IssuedCode:
    code: str
    expires_at: Any
    record: EnrollmentCode


@dataclass(frozen=True)
class Enrollment:
    device: Device
    device_token: str


def issue_enrollment_code(subject: Subject, issued_by: User) -> IssuedCode:
    """Make a fresh one-time code for ``subject``; earlier unused codes are withdrawn."""
    if subject.status != Subject.Status.IN_SUPERVISION:
        raise ValidationError({"subject": [_("This person's supervision has ended.")]}, code="ended")
    now = timezone.now()
    code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
    with transaction.atomic():
        EnrollmentCode.objects.filter(subject=subject, used_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=now
        )
        record = EnrollmentCode.objects.create(
            subject=subject,
            code_hash=_digest(code),
            created_by=issued_by,
            expires_at=now + timedelta(hours=settings.ENROLLMENT_CODE_TTL_HOURS),
        )
    return IssuedCode(code=code, expires_at=record.expires_at, record=record)


def enroll_device(code: str, device: dict[str, Any]) -> Enrollment:
    """Exchange a one-time code for a device token; the subject's previous phone is revoked.

    The code is claimed with a conditional UPDATE, so two phones racing with the same code cannot
    both win, on SQLite or PostgreSQL. ``device["public_key"]`` is the phone's Ed25519 public key
    (base64), with which it signs every later request (``signing``); required while
    ``PHONE_SIGNATURES_REQUIRED`` is on.
    """
    now = timezone.now()
    record = (
        EnrollmentCode.objects.select_related("subject")
        .filter(code_hash=_digest(normalise_code(code)))
        .first()
    )
    if record is None:
        raise ValidationError({"code": [_("This enrollment code is not valid.")]}, code="invalid_code")
    if record.used_at is not None:
        raise ValidationError({"code": [_("This enrollment code has already been used.")]}, code="code_used")
    if record.revoked_at is not None:
        raise ValidationError(
            {"code": [_("This enrollment code was replaced by a newer one.")]}, code="code_replaced"
        )
    if record.expires_at <= now:
        raise ValidationError(
            {"code": [_("This enrollment code has expired; ask your officer for a new one.")]},
            code="code_expired",
        )
    subject = record.subject
    if subject.status != Subject.Status.IN_SUPERVISION:
        raise ValidationError({"code": [_("This person's supervision has ended.")]}, code="ended")
    public_key = _enrolled_public_key(device.get("public_key"))
    token = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            claimed = EnrollmentCode.objects.filter(pk=record.pk, used_at__isnull=True).update(used_at=now)
            if not claimed:
                raise ValidationError(
                    {"code": [_("This enrollment code has already been used.")]}, code="code_used"
                )
            Device.objects.filter(subject=subject, revoked_at__isnull=True).update(
                revoked_at=now, revoked_reason="replaced by a newly enrolled phone"
            )
            phone = Device.objects.create(
                subject=subject,
                token_hash=_digest(token),
                token_prefix=token[:8],
                platform=device["platform"],
                model=device.get("model", ""),
                os_version=device.get("os_version", ""),
                app_version=device.get("app_version", ""),
                push_token=device.get("push_token") or "",
                public_key=public_key,
                last_seen_at=now,
            )
            # Monitoring starts watching the phone (a phone that never checks in is still watched).
            phone_enrolled.send(sender=Device, device=phone, subject=subject)
    except IntegrityError as exc:  # a concurrent enrollment for the same subject won the race
        raise ValidationError(
            {"code": [_("This enrollment code has already been used.")]}, code="code_used"
        ) from exc
    return Enrollment(device=phone, device_token=token)


def _enrolled_public_key(text: str | None) -> str:
    """The key a phone registers, as stored; a field error for a bad one, or for none at all
    while ``PHONE_SIGNATURES_REQUIRED`` is on."""
    if not text:
        if settings.PHONE_SIGNATURES_REQUIRED:
            raise ValidationError(
                {
                    "device": {
                        "public_key": [_("Send the phone's Ed25519 public key, base64 of its 32 bytes.")]
                    }
                },
                code="required",
            )
        return ""
    problem = public_key_problem(text)
    if problem:
        raise ValidationError({"device": {"public_key": [problem]}}, code="invalid")
    return canonical_public_key(text)


_LAST_SEEN = DEVICE_COLUMNS.index("last_seen_at")


def active_device_params(token: str | None = None, device_id: int | None = None) -> dict[str, Any]:
    """The parameters of ``sql.active_device_sql``: the phone by its token (hashed) or its id."""
    return {
        "device_key": _digest(token) if token is not None else device_id,
        "in_supervision": Subject.Status.IN_SUPERVISION,
    }


_DEVICE_SQL = active_device_sql("token_hash")


def device_from_row(row: Sequence[Any]) -> Device:
    """The ``Device`` (with its ``subject``) of a row of ``active_device_sql``."""
    n = len(DEVICE_COLUMNS)
    device_values, subject_values = list(row[:n]), row[n:DEVICE_ROW_WIDTH]
    seen = device_values[_LAST_SEEN]
    if seen is not None and timezone.is_naive(seen):  # SQLite hands back naive UTC
        device_values[_LAST_SEEN] = timezone.make_aware(seen, UTC)
    device = Device.from_db("default", DEVICE_COLUMNS, device_values)
    device.subject = Subject.from_db("default", SUBJECT_COLUMNS, subject_values)
    return device


def authenticate_device_token(token: str) -> Device | None:
    """The active phone holding ``token``, or ``None``. Marks it seen (at most once a minute)."""
    # The hot path of every phone request: one indexed query in SQL written out (the ORM would
    # spend longer building it than the database answering it), only the columns phones need.
    with hot_cursor() as cursor:
        cursor.execute(_DEVICE_SQL, active_device_params(token))
        row = cursor.fetchone()
    if row is None:
        return None
    device = device_from_row(row)
    now = timezone.now()
    if device.last_seen_at is None or now - device.last_seen_at > LAST_SEEN_RESOLUTION:
        Device.objects.filter(pk=device.pk).update(last_seen_at=now)
        device.last_seen_at = now
    return device


# Token hash -> the public key its phone registered ("" for none). A phone's key never changes
# for its token (enrolling again makes a new token), so a process may keep it; revocation is
# still the upload statement's check. Bounded: the oldest entry goes when it is full.
_PUBLIC_KEYS: dict[str, str] = {}
PUBLIC_KEY_CACHE_SIZE = 50_000


def public_key_for_token(token: str) -> str | None:
    """The public key registered by the active phone holding ``token`` ("" if it registered
    none), or ``None`` if no active phone holds it. One query the first time a process meets a
    token, none after: the check-in fast path verifies signatures without a round trip of its own.
    """
    token_hash = _digest(token)
    key = _PUBLIC_KEYS.get(token_hash)
    if key is not None:
        return key
    rows = list(
        Device.objects.filter(token_hash=token_hash, revoked_at__isnull=True).values_list(
            "public_key", flat=True
        )[:1]
    )
    if not rows:
        return None
    if len(_PUBLIC_KEYS) >= PUBLIC_KEY_CACHE_SIZE:
        _PUBLIC_KEYS.pop(next(iter(_PUBLIC_KEYS)))
    key = _PUBLIC_KEYS[token_hash] = rows[0] or ""
    return key


def revoke_device(device: Device, reason: str) -> Device:
    if device.revoked_at is None:
        device.revoked_at = timezone.now()
        device.revoked_reason = reason[:100]
        device.save(update_fields=["revoked_at", "revoked_reason"])
    return device


def end_supervision(subject: Subject) -> Subject:
    """Close a subject's supervision: phones are revoked so they can no longer upload."""
    now = timezone.now()
    with transaction.atomic():
        subject.status = Subject.Status.ENDED
        subject.ended_at = now
        subject.save(update_fields=["status", "ended_at", "updated_at"])
        Device.objects.filter(subject=subject, revoked_at__isnull=True).update(
            revoked_at=now, revoked_reason="supervision ended"
        )
        signals.supervision_ended.send(sender=Subject, subject=subject)
    return subject


# ---------------------------------------------------------------------------------------------
# Supervision levels (分类管理): the policy of each level, and a person's level changing
# ---------------------------------------------------------------------------------------------

MAX_REASON_LENGTH = 2000


def change_level(subject: Subject, level: str, reason: str, author: User | None) -> LevelChange:
    """Move ``subject`` to supervision ``level`` for ``reason``, kept as history with its author.

    Monitoring hears of it (``signals.level_changed``) and applies the new level's check-in
    schedule to the person at once. The same level again, an empty reason or an ended
    supervision are field errors.
    """
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if level not in Subject.Level.values:
        errors["level"] = [_("Unknown supervision level.")]
    if not reason:
        errors["reason"] = [_("Give the reason for the change.")]
    elif len(reason) > MAX_REASON_LENGTH:
        errors["reason"] = [_("At most %(n)d characters.") % {"n": MAX_REASON_LENGTH}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Subject.objects.select_for_update().get(pk=subject.pk)
        if locked.status != Subject.Status.IN_SUPERVISION:
            raise ValidationError({"level": [_("This person's supervision has ended.")]}, code="ended")
        if locked.supervision_level == level:
            raise ValidationError(
                {"level": [_("The person is already at this supervision level.")]}, code="same_level"
            )
        change = LevelChange.objects.create(
            subject=locked,
            from_level=locked.supervision_level,
            to_level=level,
            reason=reason,
            changed_by=author,
        )
        locked.supervision_level = level
        locked.save(update_fields=["supervision_level", "updated_at"])
        subject.supervision_level = level
        signals.level_changed.send(sender=Subject, subject=locked, change=change)
    return change


def update_policy(level: str, values: dict[str, Any], author: User | None) -> SupervisionPolicy:
    """Change what ``level`` demands (validated values of ``SupervisionPolicy``'s fields).

    Monitoring hears of it (``signals.policy_changed``) and applies it to every person of the level.
    """
    with transaction.atomic():
        row = SupervisionPolicy.objects.select_for_update().filter(level=level).first()
        if row is None:
            row = SupervisionPolicy(level=level, **rules.DEFAULT_ROWS[level])
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_by = author
        row.save()
        signals.policy_changed.send(sender=SupervisionPolicy, levels=[level])
    return row


def end_overdue_terms(today: Any = None) -> list[int]:
    """End the supervision of people whose end date has passed, where their level's policy says
    so (``auto_end_at_term``). Returns their ids; the others are left to staff (monitoring warns)."""
    today = today or timezone.localdate()
    known = rules.policies()
    levels = [level for level, policy in known.items() if policy.auto_end_at_term]
    ended = []
    for subject in Subject.objects.filter(
        status=Subject.Status.IN_SUPERVISION, supervision_end__lt=today, supervision_level__in=levels
    ):
        end_supervision(subject)
        ended.append(subject.pk)
    return ended
