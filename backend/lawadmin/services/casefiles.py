"""Cross-review assignment of a case-file review: nobody reviews their own unit."""

from __future__ import annotations

import random
import secrets
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from backend.bureau.models import Unit
from backend.lawadmin.models import CaseFileAssignment, CaseFileReview, SocialSupervisor


def cross_review_pairs(unit_ids: list[int], seed: int) -> list[tuple[int, int]]:
    """(reviewed, reviewer) pairs: the units in a random order (from ``seed``), each reviewed by the
    next one round the circle, so with two units or more nobody reviews their own and every unit
    reviews exactly one other. The same units and seed give the same pairs."""
    order = sorted(set(unit_ids))
    random.Random(seed).shuffle(order)
    return [(order[i], order[(i + 1) % len(order)]) for i in range(len(order))]


@transaction.atomic
def assign_cross_review(
    review: CaseFileReview, units: list[Unit], *, seed: int | None = None
) -> list[CaseFileAssignment]:
    if review.assignments.exists():
        raise ValidationError({"units": [_("This review is already assigned.")]})
    if len({unit.pk for unit in units}) < 2:
        raise ValidationError({"units": [_("A cross-review needs two units or more.")]})
    review.seed = secrets.randbits(62) if seed is None else seed
    review.save(update_fields=["seed"])
    return CaseFileAssignment.objects.bulk_create(
        CaseFileAssignment(review=review, reviewed_unit_id=reviewed, reviewer_unit_id=reviewer)
        for reviewed, reviewer in cross_review_pairs([unit.pk for unit in units], review.seed)
    )


def record_assessment(
    assignment: CaseFileAssignment,
    *,
    files: int,
    score: Decimal,
    findings: str,
    supervisors: list[SocialSupervisor],
) -> CaseFileAssignment:
    """The reviewing unit's result: files reviewed, score, findings, and the supervisors who took part."""
    if any(not supervisor.is_active for supervisor in supervisors):
        raise ValidationError({"supervisors": [_("Only active supervisors take part.")]})
    assignment.files = files
    assignment.score = score
    assignment.findings = findings
    assignment.save(update_fields=["files", "score", "findings"])
    assignment.supervisors.set(supervisors)
    return assignment
