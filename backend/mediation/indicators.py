"""Mediation's targets of the plan (part 3), registered with ``backend.bureau.indicators``."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from backend.bureau.indicators import IndicatorSpec, Progress, register_indicator
from backend.bureau.models import Unit
from backend.mediation.models import FULL_TIME_TARGET_PERCENT, MediationCentre, Mediator


def centre_coverage(year: int) -> Progress:
    """Towns with a town-level one-stop centre, in percent of all towns (the city's own counts as
    a unit of its own); by unit: 100 where a town has one, 0 where not."""
    towns = list(Unit.objects.filter(kind=Unit.Kind.TOWN, is_active=True).values_list("pk", flat=True))
    covered = set(
        MediationCentre.objects.filter(level=MediationCentre.Level.TOWN, unit__in=towns).values_list(
            "unit", flat=True
        )
    )
    if not towns:
        return Progress(0.0)
    return Progress(
        value=round(100 * len(covered) / len(towns), 1),
        by_unit={town: 100.0 if town in covered else 0.0 for town in towns},
    )


def full_time_mediators(year: int) -> Progress:
    """Full-time mediators in percent of all active mediators, by unit."""
    rows = (
        Mediator.objects.filter(is_active=True)
        .values("unit")
        .annotate(all=Count("pk"), full=Count("pk", filter=Q(full_time=True)))
    )
    by_unit = {row["unit"]: round(100 * row["full"] / row["all"], 1) for row in rows if row["all"]}
    total = sum(row["all"] for row in rows)
    full = sum(row["full"] for row in rows)
    return Progress(value=round(100 * full / total, 1) if total else 0.0, by_unit=by_unit)


def register() -> None:
    register_indicator(
        IndicatorSpec(
            code="mediation-centre-coverage",
            module="mediation",
            name=_("Towns covered by a one-stop mediation centre"),
            target=100,
            measure="%",
            compute=centre_coverage,
            description=_("市、镇（街）两级调解中心年底全覆盖."),
        )
    )
    register_indicator(
        IndicatorSpec(
            code="full-time-mediators",
            module="mediation",
            name=_("Share of full-time mediators"),
            target=FULL_TIME_TARGET_PERCENT,
            measure="%",
            compute=full_time_mediators,
            description=_("专职调解员占比达到50%以上."),
        )
    )
