"""Factors read from the modules on the floor below screening (education, resettlement).

They may not import screening, so their factors live here and read their models; each is
registered only when its module is installed. Each answers a chunk in one grouped query.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.screening.factors import Chunk, register_factor
from backend.screening.rules import Fact, PersonKind

# Visits (走访帮教) a released person should have in a quarter: monthly for a key person.
EXPECTED_VISITS = {True: 3, False: 1}


def education_absences(chunk: Chunk) -> Mapping[int, Fact]:
    """Sessions of the quarter a subject was enrolled in and found absent from (attendance
    from check-ins or confirmed by staff). Every subject has data: no absence is a fact."""
    from backend.education.models import Enrollment

    rows = (
        Enrollment.objects.filter(
            subject_id__gte=chunk.first_id,
            subject_id__lte=chunk.last_id,
            session__starts_at__gte=chunk.window_start,
            session__starts_at__lt=chunk.window_end,
        )
        .values_list("subject_id", "outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[int, dict[str, int]] = {}
    for subject_id, outcome, n in rows:
        counts.setdefault(subject_id, {})[outcome] = n
    found: dict[int, Fact] = {}
    for person_id in chunk.person_ids:
        by_outcome = counts.get(person_id, {})
        absent = by_outcome.get(Enrollment.Outcome.ABSENT, 0)
        found[person_id] = Fact(value=absent, facts={k: v for k, v in by_outcome.items() if v})
    return found


def missed_visits(chunk: Chunk) -> Mapping[int, Fact]:
    """Visits short of what the quarter asks (one, three for a key person), with the last visit."""
    from backend.resettlement.models import Visit
    from backend.supervision.models import ReleasedPerson

    start = timezone.localtime(chunk.window_start).date()
    end = timezone.localtime(chunk.window_end).date()
    visits: dict[int, tuple[int, Any]] = {
        person_id: (n, last)
        for person_id, n, last in Visit.objects.filter(
            released_person_id__gte=chunk.first_id,
            released_person_id__lte=chunk.last_id,
            visited_on__gte=start,
            visited_on__lt=end,
        )
        .values_list("released_person_id")
        .annotate(n=Count("id"), last=Max("visited_on"))
        .values_list("released_person_id", "n", "last")
        .order_by()
    }
    key = dict(
        ReleasedPerson.objects.filter(pk__gte=chunk.first_id, pk__lte=chunk.last_id).values_list(
            "pk", "is_key_person"
        )
    )
    found: dict[int, Fact] = {}
    for person_id in chunk.person_ids:
        made, last = visits.get(person_id, (0, None))
        expected = EXPECTED_VISITS[bool(key.get(person_id))]
        facts: dict[str, Any] = {"visits": made, "expected": expected}
        if last is not None:
            facts["last_visit"] = last.isoformat()
        found[person_id] = Fact(value=max(0, expected - made), facts=facts)
    return found


def register() -> None:
    if apps.is_installed("backend.education"):
        register_factor(
            "education_attendance",
            label=_("missed education sessions"),
            description=_("education sessions of the quarter the person was enrolled in and absent from"),
            kinds={PersonKind.SUBJECT},
            source="education",
            compute=education_absences,
        )
    if apps.is_installed("backend.resettlement"):
        register_factor(
            "resettlement_visits",
            label=_("missed resettlement visits"),
            description=_("visits short of one a quarter (three for a key person)"),
            kinds={PersonKind.RELEASED},
            source="resettlement",
            compute=missed_visits,
        )
