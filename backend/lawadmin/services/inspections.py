"""Scoring a rule-of-law inspection on its weighted rubric, and its findings to rectify."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.bureau.models import RectificationItem
from backend.bureau.services import open_rectification
from backend.lawadmin.models import InspectionScore, RubricItem, RuleOfLawInspection

TWO_PLACES = Decimal("0.01")


def weighted_total(scores: dict[RubricItem, Decimal]) -> Decimal:
    """Σ weight × score / full score over the rubric's criteria: out of 100 when weights add to 100."""
    total = sum((item.weight * score / item.max_score for item, score in scores.items()), Decimal(0))
    return total.quantize(TWO_PLACES)


def check_rubric_weights(items: list[RubricItem]) -> None:
    if sum((item.weight for item in items), Decimal(0)) != 100:
        raise ValidationError({"scores": [_("The weights of the rubric's criteria must add up to 100.")]})


@transaction.atomic
def score_inspection(
    inspection: RuleOfLawInspection, scores: dict[int, Decimal], notes: dict[int, str] | None = None
) -> RuleOfLawInspection:
    """Record a score for every criterion of the rubric (0 to its full score) and the weighted total."""
    items = {item.pk: item for item in inspection.rubric.items.all()}
    check_rubric_weights(list(items.values()))
    errors = []
    if set(scores) != set(items):
        errors.append(
            _("Score every criterion of the rubric, and only those: %(ids)s") % {"ids": sorted(items)}
        )
    for pk, score in scores.items():
        if pk in items and not 0 <= score <= items[pk].max_score:
            errors.append(
                _("Criterion %(id)d: a score from 0 to %(max)s.") % {"id": pk, "max": items[pk].max_score}
            )
    if errors:
        raise ValidationError({"scores": errors})
    inspection.scores.all().delete()
    InspectionScore.objects.bulk_create(
        InspectionScore(inspection=inspection, item=items[pk], score=score, note=(notes or {}).get(pk, ""))
        for pk, score in scores.items()
    )
    inspection.total = weighted_total({items[pk]: score for pk, score in scores.items()})
    inspection.status = RuleOfLawInspection.Status.SCORED
    inspection.save(update_fields=["total", "status"])
    return inspection


def add_finding(
    inspection: RuleOfLawInspection,
    *,
    finding: str,
    deadline: dt.date,
    requirement: str = "",
    by: User | None = None,
) -> RectificationItem:
    """A problem found at the inspection becomes the unit's rectification item, linked to it."""
    if deadline < inspection.inspected_on:
        raise ValidationError({"deadline": [_("The deadline cannot be before the inspection.")]})
    return open_rectification(
        unit=inspection.unit,
        finding=finding,
        requirement=requirement,
        deadline=deadline,
        source=inspection,
        created_by=by,
    )
