"""依法行政's targets of the plan, registered with ``backend.bureau.indicators``."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.bureau.indicators import IndicatorSpec, Progress, register_indicator
from backend.bureau.models import Indicator
from backend.lawadmin.models import (
    AbilityTestEntry,
    ContractCatalogue,
    EnforcementOfficer,
    RuleOfLawInspection,
)
from backend.lawadmin.models.officers import STUDY_HOURS_TARGET
from backend.lawadmin.services.legality import FILED, catalogue_due, filing_units
from backend.lawadmin.services.officers import study_hours


def _months(year: int) -> list[tuple[int, dt.date]]:
    """Each month of ``year`` that has begun, with the day its value is read (its end, or today)."""
    today = timezone.localdate()
    out = []
    for month in range(1, 13):
        start = dt.date(year, month, 1)
        if start > today:
            break
        end = (dt.date(year + (month == 12), month % 12 + 1, 1)) - dt.timedelta(days=1)
        out.append((month, min(end, today)))
    return out


def _officer_units() -> dict[int, int]:
    return dict(EnforcementOfficer.objects.filter(is_active=True).values_list("pk", "unit_id"))


def study_hours_progress(year: int) -> Progress:
    """The average study hours of the active officers (target 60 each), by department and month."""
    units = _officer_units()
    if not units:
        return Progress(0.0)
    hours = study_hours(year)
    per_unit: dict[int, list[float]] = defaultdict(list)
    for pk, unit_id in units.items():
        per_unit[unit_id].append(hours.get(pk, 0.0))
    by_month = {
        month: sum(study_hours(year, through=day).values()) / len(units) for month, day in _months(year)
    }
    return Progress(
        value=sum(hours.values()) / len(units),
        by_unit={unit: sum(values) / len(values) for unit, values in per_unit.items()},
        by_month=by_month,
    )


def tested_share_progress(year: int) -> Progress:
    """The share (%) of the active officers drawn for an ability test this year (target ≥ 10 %)."""
    units = _officer_units()
    if not units:
        return Progress(0.0)
    entries = AbilityTestEntry.objects.filter(test__year=year, officer__is_active=True)
    tested = set(entries.values_list("officer_id", flat=True))
    per_unit_total: dict[int, int] = defaultdict(int)
    per_unit_tested: dict[int, int] = defaultdict(int)
    for pk, unit_id in units.items():
        per_unit_total[unit_id] += 1
        per_unit_tested[unit_id] += pk in tested
    by_month = {}
    for month, day in _months(year):
        drawn = entries.filter(test__held_on__lte=day).values("officer_id").distinct().count()
        by_month[month] = 100 * drawn / len(units)
    return Progress(
        value=100 * len(tested) / len(units),
        by_unit={unit: 100 * per_unit_tested[unit] / total for unit, total in per_unit_total.items()},
        by_month=by_month,
    )


def catalogue_filing_progress(year: int) -> Progress:
    """The share (%) of the quarterly contract catalogues due so far that were filed (target 100 %)."""
    today = timezone.localdate()
    units = list(filing_units().values_list("pk", flat=True))
    quarters = [q for q in range(1, 5) if catalogue_due(year, q) < today]
    filed = set(
        ContractCatalogue.objects.filter(year=year, status__in=FILED).values_list("unit_id", "quarter")
    )
    if not units or not quarters:
        return Progress(0.0)
    by_unit = {unit: 100 * sum((unit, q) in filed for q in quarters) / len(quarters) for unit in units}
    by_month = {}
    for month, day in _months(year):
        due = [q for q in quarters if catalogue_due(year, q) < day]
        if due:
            by_month[month] = 100 * sum((u, q) in filed for u in units for q in due) / (len(units) * len(due))
    return Progress(value=sum(by_unit.values()) / len(units), by_unit=by_unit, by_month=by_month)


def inspection_coverage_progress(year: int) -> Progress:
    """The share (%) of departments and towns inspected in each half-year begun (target 100 %)."""
    today = timezone.localdate()
    units = list(filing_units().values_list("pk", flat=True))
    halves = [h for h in (1, 2) if dt.date(year, 1 if h == 1 else 7, 1) <= today]
    if not units or not halves:
        return Progress(0.0)
    inspected = RuleOfLawInspection.objects.filter(rubric__year=year)
    done = set(inspected.values_list("unit_id", "rubric__half"))
    by_unit = {unit: 100 * sum((unit, h) in done for h in halves) / len(halves) for unit in units}
    by_month = {}
    for month, day in _months(year):
        count = inspected.filter(inspected_on__lte=day).aggregate(n=Count("pk"))["n"]
        by_month[month] = 100 * count / (len(units) * len(halves))
    return Progress(value=sum(by_unit.values()) / len(units), by_unit=by_unit, by_month=by_month)


def register() -> None:
    register_indicator(
        IndicatorSpec(
            code="enforcement-study-hours",
            module="lawadmin",
            name=_("Study hours per enforcement officer"),
            target=STUDY_HOURS_TARGET,
            measure="学时",
            compute=study_hours_progress,
            description=_("Average over the active officers; each must reach 60 hours in the year."),
        )
    )
    register_indicator(
        IndicatorSpec(
            code="enforcement-tested-share",
            module="lawadmin",
            name=_("Enforcement officers given the ability test"),
            target=10,
            measure="%",
            compute=tested_share_progress,
        )
    )
    register_indicator(
        IndicatorSpec(
            code="contract-catalogue-filing",
            module="lawadmin",
            name=_("Quarterly contract catalogues filed"),
            target=100,
            measure="%",
            period=Indicator.Period.QUARTER,
            compute=catalogue_filing_progress,
        )
    )
    register_indicator(
        IndicatorSpec(
            code="rule-of-law-inspection-coverage",
            module="lawadmin",
            name=_("Units inspected each half-year"),
            target=100,
            measure="%",
            period=Indicator.Period.HALF,
            compute=inspection_coverage_progress,
        )
    )
