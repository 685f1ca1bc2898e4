"""Study hours, who is behind, and the ability test's reproducible stratified draw."""

from __future__ import annotations

import datetime as dt
import math
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.lawadmin.models import AbilityTest, AbilityTestEntry, EnforcementOfficer, StudyRecord
from backend.lawadmin.models.officers import STUDY_HOURS_TARGET


def study_hours(year: int, *, through: dt.date | None = None) -> dict[int, float]:
    """Each active officer's study hours in ``year`` (up to ``through``), officers with none at 0."""
    records = StudyRecord.objects.filter(date__year=year, officer__is_active=True)
    if through is not None:
        records = records.filter(date__lte=through)
    hours = {
        row["officer"]: float(row["total"]) for row in records.values("officer").annotate(total=Sum("hours"))
    }
    return {
        pk: hours.get(pk, 0.0)
        for pk in EnforcementOfficer.objects.filter(is_active=True).values_list("pk", flat=True)
    }


@dataclass(frozen=True)
class Behind:
    officer: EnforcementOfficer
    hours: float
    missing: float


def officers_behind(year: int, officers: list[EnforcementOfficer]) -> list[Behind]:
    """Of ``officers``, those under the year's 60 hours, fewest hours first."""
    hours = study_hours(year)
    behind = [
        Behind(officer, hours.get(officer.pk, 0.0), STUDY_HOURS_TARGET - hours.get(officer.pk, 0.0))
        for officer in officers
        if hours.get(officer.pk, 0.0) < STUDY_HOURS_TARGET
    ]
    return sorted(behind, key=lambda b: (b.hours, b.officer.pk))


def stratified_sample(population: dict[str, list[int]], ratio: float, seed: int) -> list[int]:
    """Draw ``ratio`` of each field's officers (rounded up, at least one from a non-empty field).

    The same population, ratio and seed always give the same officers: each field's ids are sorted
    and drawn with one ``random.Random(seed)`` in the fields' sorted order.
    """
    rng = random.Random(seed)
    drawn: list[int] = []
    for field in sorted(population):
        ids = sorted(population[field])
        if ids:
            drawn.extend(sorted(rng.sample(ids, max(1, math.ceil(len(ids) * ratio)))))
    return drawn


@transaction.atomic
def draw_sample(test: AbilityTest, *, seed: int | None = None, by: User | None = None) -> AbilityTest:
    """Draw the test's officers from the active ones, stratified by field, and record the seed."""
    if test.status != AbilityTest.Status.PLANNED:
        raise ValidationError({"status": [_("The sample of this test is already drawn.")]})
    population: dict[str, list[int]] = defaultdict(list)
    fields: dict[int, str] = {}
    for pk, field in EnforcementOfficer.objects.filter(is_active=True).values_list("pk", "field"):
        population[field].append(pk)
        fields[pk] = field
    if not fields:
        raise ValidationError({"status": [_("There are no active officers to draw from.")]})
    test.seed = secrets.randbits(62) if seed is None else seed
    drawn = stratified_sample(population, float(test.sample_ratio), test.seed)
    AbilityTestEntry.objects.bulk_create(
        AbilityTestEntry(test=test, officer_id=pk, field=fields[pk]) for pk in drawn
    )
    test.population = len(fields)
    test.status = AbilityTest.Status.DRAWN
    test.drawn_at = timezone.now()
    test.save()
    return test


def record_scores(test: AbilityTest, scores: dict[int, Decimal]) -> int:
    """Scores by entry id (0–100); entries of another test are refused."""
    if test.status != AbilityTest.Status.DRAWN:
        raise ValidationError({"scores": [_("Scores are recorded after the draw and before publication.")]})
    entries = {entry.pk: entry for entry in test.entries.filter(pk__in=scores)}
    unknown = sorted(set(scores) - set(entries))
    if unknown:
        raise ValidationError({"scores": [_("Not entries of this test: %(ids)s") % {"ids": unknown[:10]}]})
    for pk, score in scores.items():
        entries[pk].score = score
    AbilityTestEntry.objects.bulk_update(entries.values(), ["score"])
    return len(entries)


@transaction.atomic
def publish_results(test: AbilityTest) -> AbilityTest:
    """Rank the entries by score (ties share a rank) and publish; every entry must have its score."""
    if test.status != AbilityTest.Status.DRAWN:
        raise ValidationError({"status": [_("Only a drawn test can be published.")]})
    entries = list(test.entries.all())
    if any(entry.score is None for entry in entries):
        raise ValidationError({"status": [_("Every officer drawn needs a score before publication.")]})
    entries.sort(key=lambda e: (-(e.score or 0), e.pk))
    previous, rank = None, 0
    for position, entry in enumerate(entries, start=1):
        if entry.score != previous:
            rank, previous = position, entry.score
        entry.rank = rank
    AbilityTestEntry.objects.bulk_update(entries, ["rank"])
    test.status = AbilityTest.Status.PUBLISHED
    test.published_at = timezone.now()
    test.save(update_fields=["status", "published_at"])
    return test
