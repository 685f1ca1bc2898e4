"""Assistance teams (帮教小组), their members and visits, quarterly safety screenings, the
key-person ledger's rows, and the figures the risk screening reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from backend.accounts.models import User
from backend.resettlement.models import AssistanceTeam, HandoverStep, SafetyScreening, Step, TeamMember, Visit
from backend.resettlement.rules import assistance_end
from backend.supervision.models import Gender, ReleasedPerson


def create_team(person: ReleasedPerson, period_start: dt.date | None = None) -> AssistanceTeam:
    """The person's assistance team for five years from ``period_start`` (the release date by default)."""
    if AssistanceTeam.objects.filter(released_person=person).exists():
        raise ValidationError(
            {"released_person": [_("This person already has an assistance team.")]}, code="exists"
        )
    start = period_start or person.release_date
    try:
        with transaction.atomic():
            return AssistanceTeam.objects.create(
                released_person=person, period_start=start, period_end=assistance_end(start)
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"released_person": [_("This person already has an assistance team.")]}, code="exists"
        ) from exc


def add_member(team: AssistanceTeam, **values: Any) -> TeamMember:
    return TeamMember.objects.create(team=team, **values)


def record_visit(person: ReleasedPerson, by: User, **values: Any) -> Visit:
    visited_on = values["visited_on"]
    if visited_on > timezone.localdate():
        raise ValidationError(
            {"visited_on": [_("A visit cannot be recorded before it happens.")]}, code="invalid"
        )
    if visited_on < person.release_date - dt.timedelta(days=60):
        raise ValidationError({"visited_on": [_("This date is long before the release.")]}, code="invalid")
    return Visit.objects.create(released_person=person, recorded_by=by, **values)


def record_screening(person: ReleasedPerson, by: User, **values: Any) -> SafetyScreening:
    """One screening per person and quarter; a quarter not yet begun cannot be screened."""
    year, quarter = values["year"], values["quarter"]
    today = timezone.localdate()
    if (year, quarter) > (today.year, (today.month - 1) // 3 + 1):
        raise ValidationError({"quarter": [_("This quarter has not begun.")]}, code="invalid")
    if values["screened_on"] > today:
        raise ValidationError({"screened_on": [_("This date is in the future.")]}, code="invalid")
    try:
        with transaction.atomic():
            return SafetyScreening.objects.create(released_person=person, recorded_by=by, **values)
    except IntegrityError as exc:
        raise ValidationError(
            {"quarter": [_("This person was already screened in this quarter.")]}, code="exists"
        ) from exc


# ---------------------------------------------------------------------------------------------
# What the risk screening reads (registered as its factors)
# ---------------------------------------------------------------------------------------------


def recent_visits(person_ids: list[int], start: dt.date, end: dt.date) -> dict[int, int]:
    """Visits per released person from ``start`` to before ``end``: every person answered
    (zero is a fact). One query for the whole list, as the risk screening reads it."""
    counts: dict[int, int] = dict.fromkeys(person_ids, 0)
    rows = (
        Visit.objects.filter(released_person_id__in=person_ids, visited_on__gte=start, visited_on__lt=end)
        .values("released_person_id")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        counts[row["released_person_id"]] = row["n"]
    return counts


def _quarter(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def recent_incidents(person_ids: list[int], start: dt.date, end: dt.date) -> dict[int, int]:
    """Incidents reported by the screenings of the quarters from ``start``'s to the one before
    ``end``, per released person (every person answered). One query."""
    first, last = _quarter(start), _quarter(end - dt.timedelta(days=1))
    totals: dict[int, int] = dict.fromkeys(person_ids, 0)
    rows = SafetyScreening.objects.filter(
        released_person_id__in=person_ids, year__gte=first[0], year__lte=last[0]
    ).values_list("released_person_id", "year", "quarter", "incidents")
    for person_id, year, quarter, incidents in rows:
        if first <= (year, quarter) <= last:
            totals[person_id] += incidents
    return totals


# ---------------------------------------------------------------------------------------------
# The key-person ledger (重点人员台账)
# ---------------------------------------------------------------------------------------------


def key_person_rows(people: QuerySet[ReleasedPerson], show_id_numbers: bool) -> Iterator[list[Any]]:
    """One row per key person of ``people``, in the ledger's column order."""
    queryset = (
        people.filter(is_key_person=True)
        .select_related("office", "responsible_officer", "assistance_team")
        .prefetch_related(
            Prefetch("handover_steps", queryset=HandoverStep.objects.order_by("deadline")),
            Prefetch("assistance_team__members", queryset=TeamMember.objects.filter(left_on__isnull=True)),
        )
        .annotate(last_visit=Max("visits__visited_on"))
        .order_by("office__code", "name", "pk")
    )
    screenings = {
        s.released_person_id: s
        for s in SafetyScreening.objects.filter(released_person__in=queryset.values("pk")).order_by(
            "released_person_id", "year", "quarter"
        )
    }
    # Each label translated once per ledger, not once per cell (17,000 lookups for 500 people).
    label = {
        field: {value: str(text) for value, text in choices}
        for field, choices in (
            ("gender", Gender.choices),
            ("source", ReleasedPerson.Source.choices),
            ("status", ReleasedPerson.Status.choices),
            ("step", Step.choices),
            ("role", TeamMember.Role.choices),
            ("hazard", SafetyScreening.Hazard.choices),
        )
    }
    for person in queryset.iterator(chunk_size=500):
        steps = list(person.handover_steps.all())
        done = [s for s in steps if s.done_at is not None]
        team = getattr(person, "assistance_team", None)
        members = list(team.members.all()) if team is not None else []
        screening = screenings.get(person.pk)
        officer = person.responsible_officer
        yield [
            person.office.name,
            person.name,
            label["gender"].get(person.gender, person.gender),
            person.id_number if show_id_numbers else person.id_number_masked,
            label["source"].get(person.source, person.source),
            person.prison,
            person.crime,
            person.expected_release_date or person.release_date,
            label["step"].get(done[-1].step, "") if done else "",
            (done[-1].done_at if done else None),
            next((s.done_at for s in steps if s.step == "met"), None),
            next((s.place for s in steps if s.step == "met"), ""),
            person.received_at,
            label["status"].get(person.status, person.status),
            "、".join(f"{m.name}（{label['role'].get(m.role, m.role)}）" for m in members),
            team.period_end if team is not None else None,
            getattr(person, "last_visit", None),
            (
                f"{screening.year}Q{screening.quarter} {label['hazard'][screening.hazard]}"
                if screening
                else ""
            ),
            (officer.get_full_name() or officer.username) if officer else "",
        ]
