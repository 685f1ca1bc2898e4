"""The bureau's shared actions: linking reporters to units, rectification items, unit returns.

Views, the admin and the modules above call these; none of them saves these models directly.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import Role, User
from backend.bureau.models import RectificationItem, Unit, UnitMembership, UnitReturn

R = TypeVar("R", bound=UnitReturn)

# ---------------------------------------------------------------------------------------------
# Units and their reporters
# ---------------------------------------------------------------------------------------------


def link_reporter(user: User, unit: Unit) -> UnitMembership:
    """Make ``user`` (a unit reporter) the reporter of ``unit``; a reporter has one unit."""
    if user.role != Role.REPORTER:
        raise ValidationError({"user": [_("Only a unit reporter can be linked to a unit.")]})
    membership, _created = UnitMembership.objects.update_or_create(user=user, defaults={"unit": unit})
    return membership


# ---------------------------------------------------------------------------------------------
# Rectification items
# ---------------------------------------------------------------------------------------------

RECTIFICATION_TERMINAL = frozenset({RectificationItem.Status.CLOSED, RectificationItem.Status.CANCELLED})


def open_rectification(
    *,
    unit: Unit,
    finding: str,
    deadline: dt.date,
    requirement: str = "",
    source: models.Model | None = None,
    created_by: User | None = None,
) -> RectificationItem:
    """Record a finding ``unit`` must put right by ``deadline``, linked to the record it came from."""
    item = RectificationItem(
        unit=unit, finding=finding, requirement=requirement, deadline=deadline, created_by=created_by
    )
    if source is not None:
        item.source_type = ContentType.objects.get_for_model(source)
        item.source_id = source.pk
    item.save()
    return item


def rectifications_of(source: models.Model) -> QuerySet[RectificationItem]:
    return RectificationItem.objects.filter(
        source_type=ContentType.objects.get_for_model(source), source_id=source.pk
    )


def submit_rectification(
    item: RectificationItem, *, note: str, evidence: UploadedFile[bytes] | None = None, by: User | None = None
) -> RectificationItem:
    """The unit reports what it did (and may attach a document); the bureau then verifies it."""
    if item.status != RectificationItem.Status.OPEN:
        raise ValidationError({"status": [_("Only an open item can be submitted.")]})
    if not note.strip() and evidence is None and not item.evidence:
        raise ValidationError({"evidence_note": [_("Say what was done or attach the evidence.")]})
    item.evidence_note = note
    if evidence is not None:
        item.evidence.save(evidence.name or "evidence", evidence, save=False)
    item.status = RectificationItem.Status.SUBMITTED
    item.submitted_at = timezone.now()
    item.save()
    return item


def verify_rectification(
    item: RectificationItem, *, accepted: bool, note: str = "", by: User | None = None
) -> RectificationItem:
    """The bureau accepts the evidence (the item closes) or sends it back (it is open again)."""
    if item.status != RectificationItem.Status.SUBMITTED:
        raise ValidationError({"status": [_("Only an item with submitted evidence can be verified.")]})
    item.review_note = note
    if accepted:
        item.status = RectificationItem.Status.CLOSED
        item.closed_at = timezone.now()
        item.closed_by = by
    else:
        item.status = RectificationItem.Status.OPEN
    item.save()
    return item


def cancel_rectification(item: RectificationItem, *, note: str, by: User | None = None) -> RectificationItem:
    if item.status in RECTIFICATION_TERMINAL:
        raise ValidationError({"status": [_("The item is already closed.")]})
    item.status = RectificationItem.Status.CANCELLED
    item.review_note = note
    item.closed_at = timezone.now()
    item.closed_by = by
    item.save()
    return item


def overdue_rectifications(today: dt.date | None = None) -> QuerySet[RectificationItem]:
    """Items still open (no evidence) after their deadline, oldest deadline first."""
    return RectificationItem.objects.filter(
        status=RectificationItem.Status.OPEN, deadline__lt=today or timezone.localdate()
    ).order_by("deadline", "pk")


# ---------------------------------------------------------------------------------------------
# A unit's returns (the abstract UnitReturn of every module)
# ---------------------------------------------------------------------------------------------


def submit_return(record: R, *, by: User | None = None) -> R:
    """A draft (or a returned) return goes to the bureau for review."""
    if record.status not in UnitReturn.EDITABLE:
        raise ValidationError({"status": [_("Only a draft or a returned return can be submitted.")]})
    record.status = UnitReturn.Status.SUBMITTED
    record.submitted_at = timezone.now()
    if record.reported_by is None:
        record.reported_by = by
    record.save(update_fields=["status", "submitted_at", "reported_by", "updated_at"])
    return record


def review_return(record: R, *, accepted: bool, note: str = "", by: User | None = None) -> R:
    """The bureau accepts a submitted return or returns it to the unit for correction."""
    if record.status != UnitReturn.Status.SUBMITTED:
        raise ValidationError({"status": [_("Only a submitted return can be reviewed.")]})
    if not accepted and not note.strip():
        raise ValidationError({"note": [_("Say what must be corrected.")]})
    record.status = UnitReturn.Status.ACCEPTED if accepted else UnitReturn.Status.RETURNED
    record.reviewed_by = by
    record.reviewed_at = timezone.now()
    record.review_note = note
    record.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note", "updated_at"])
    return record


def check_editable(record: UnitReturn) -> None:
    if record.pk and record.status not in UnitReturn.EDITABLE:
        raise ValidationError({"status": [_("A submitted or accepted return can no longer be changed.")]})
