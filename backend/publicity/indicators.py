"""Legal publicity's targets of the plan (part 2), registered with ``backend.bureau.indicators``."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count
from django.db.models.functions import ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.bureau.indicators import IndicatorSpec, Progress, cumulative, register_indicator
from backend.publicity import services
from backend.publicity.models import EVENTS_TARGET, GROWTH_TARGET_PERCENT


def _months_begun(year: int) -> int:
    today = timezone.localdate()
    if year < today.year:
        return 12
    return 0 if year > today.year else today.month


def events_progress(year: int) -> Progress:
    """Accepted events of the year: to date, by unit, running total at each month's end."""
    events = services.counted().filter(held_on__year=year)
    by_unit = {row["unit"]: float(row["n"]) for row in events.values("unit").annotate(n=Count("pk"))}
    monthly = {
        row["month"]: float(row["n"])
        for row in events.annotate(month=ExtractMonth("held_on")).values("month").annotate(n=Count("pk"))
    }
    return Progress(
        value=float(sum(by_unit.values())),
        by_unit=by_unit,
        by_month=cumulative(monthly, through=_months_begun(year)),
    )


def growth_progress(year: int) -> Progress:
    """Growth on last year to the same day, in percent, at each month's end."""
    by_month: dict[int, float] = {}
    for month in range(1, _months_begun(year) + 1):
        month_end = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
        growth = services.growth_percent(year, min(month_end, timezone.localdate()))
        if growth is not None:
            by_month[month] = growth
    now = services.growth_percent(year)
    return Progress(value=now if now is not None else 0.0, by_month=by_month)


def demonstration_progress(year: int) -> Progress:
    applications = services.demonstration_applications(year)
    by_unit = {row["unit"]: float(row["n"]) for row in applications.values("unit").annotate(n=Count("pk"))}
    return Progress(value=float(sum(by_unit.values())), by_unit=by_unit)


def register() -> None:
    register_indicator(
        IndicatorSpec(
            code="publicity-events",
            module="publicity",
            name=_("Legal publicity events in the year"),
            target=EVENTS_TARGET,
            measure="场",
            compute=events_progress,
            description=_("Events reported by the units and accepted by the bureau (目标 5000 场)."),
        )
    )
    register_indicator(
        IndicatorSpec(
            code="publicity-growth",
            module="publicity",
            name=_("Growth of publicity events on last year"),
            target=GROWTH_TARGET_PERCENT,
            measure="%",
            compute=growth_progress,
            description=_("This year's accepted events against last year's to the same day."),
        )
    )
    register_indicator(
        IndicatorSpec(
            code="demonstration-villages",
            module="publicity",
            name=_("Villages put forward as demonstration villages"),
            target=3,
            measure="个",
            compute=demonstration_progress,
            description=_("Applications for 民主法治示范村（社区） submitted in the year (plan: 3–5)."),
        )
    )
