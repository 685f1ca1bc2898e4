"""Legal publicity's rules: what counts, the quarterly ranking of units, the year against last year.

Only activities the bureau accepted count (a draft or a returned report is not yet an event).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from backend.bureau.models import Unit
from backend.publicity.models import Activity, DemonstrationVillage

# The units that report publicity and are ranked: towns and streets, and the departments.
RANKED_KINDS = (Unit.Kind.TOWN, Unit.Kind.DEPARTMENT)


def counted(queryset: QuerySet[Activity] | None = None) -> QuerySet[Activity]:
    """The activities that count: accepted by the bureau."""
    return (queryset if queryset is not None else Activity.objects.all()).filter(
        status=Activity.Status.ACCEPTED
    )


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


@dataclass(frozen=True)
class RankingRow:
    rank: int
    unit_id: int
    unit_name: str
    unit_kind: str
    events: int
    audience: int


def quarter_ranking(year: int, quarter: int, *, unit_ids: set[int] | None = None) -> list[RankingRow]:
    """Every ranked unit by accepted events in the quarter, then audience (每季度通报): units that held
    none are listed last with 0, so a silent unit is seen. Equal units share a rank."""
    start, end = quarter_bounds(year, quarter)
    in_quarter = Q(held_on__gte=start, held_on__lte=end, status=Activity.Status.ACCEPTED)
    totals = {
        row["unit"]: (row["events"], row["audience"] or 0)
        for row in Activity.objects.filter(in_quarter)
        .values("unit")
        .annotate(events=Count("pk"), audience=Sum("audience"))
    }
    units = Unit.objects.filter(Q(kind__in=RANKED_KINDS, is_active=True) | Q(pk__in=totals.keys()))
    rows = sorted(
        ((unit, *totals.get(unit.pk, (0, 0))) for unit in units),
        key=lambda item: (-item[1], -item[2], item[0].name, item[0].pk),
    )
    ranked: list[RankingRow] = []
    previous: tuple[int, int] | None = None
    rank = 0
    for position, (unit, events, audience) in enumerate(rows, start=1):
        if (events, audience) != previous:
            rank, previous = position, (events, audience)
        if unit_ids is None or unit.pk in unit_ids:
            ranked.append(RankingRow(rank, unit.pk, unit.name, unit.kind, events, audience))
    return ranked


def events_between(start: dt.date, end: dt.date) -> int:
    return counted().filter(held_on__gte=start, held_on__lte=end).count()


def growth_percent(year: int, through: dt.date | None = None) -> float | None:
    """This year's events to ``through`` against last year's to the same day, in percent; ``None``
    when last year had none (no base to grow from)."""
    through = through or min(timezone.localdate(), dt.date(year, 12, 31))
    this_year = events_between(dt.date(year, 1, 1), through)
    try:
        same_day_last_year = through.replace(year=year - 1)
    except ValueError:  # 29 February
        same_day_last_year = dt.date(year - 1, 2, 28)
    last_year = events_between(dt.date(year - 1, 1, 1), same_day_last_year)
    if last_year == 0:
        return None
    return round((this_year / last_year - 1) * 100, 1)


def demonstration_applications(year: int) -> QuerySet[DemonstrationVillage]:
    """The applications of the year that went forward (submitted or awarded)."""
    return DemonstrationVillage.objects.filter(
        year=year, status__in=[DemonstrationVillage.Status.SUBMITTED, DemonstrationVillage.Status.APPROVED]
    )
