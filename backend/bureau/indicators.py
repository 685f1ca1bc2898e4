"""The registry of the plan's target indicators: each module registers how its progress is computed.

A module (lawadmin, publicity, mediation…) declares in its ``AppConfig.ready``::

    register_indicator(IndicatorSpec(
        code="study-hours", module="lawadmin", name=_("…"), target=60, measure="学时",
        compute=study_hours_progress,
    ))

``compute(year)`` returns a ``Progress``: the value to date, the value by unit (unit id → value)
and by month (1–12 → the value as of the end of that month, so counts are cumulative and rates
are the rate at that date). ``ensure_indicators(year)`` makes the year's ``Indicator`` rows from
the declarations (the target stays editable in the admin); ``progress_of(indicator)`` calls the
function. The bureau imports no module: they register themselves, the API and the plan dashboard
read them all from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from backend.bureau.models import Indicator


@dataclass(frozen=True)
class Progress:
    value: float
    by_unit: dict[int, float] = field(default_factory=dict)
    by_month: dict[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    module: str
    name: Any  # lazy translation welcome
    target: float
    measure: str
    compute: Callable[[int], Progress]
    comparison: str = Indicator.Comparison.AT_LEAST
    period: str = Indicator.Period.YEAR
    description: Any = ""


_registry: dict[str, IndicatorSpec] = {}


def register_indicator(spec: IndicatorSpec) -> None:
    """Declare (or replace, by code) an indicator and the function computing its progress."""
    _registry[spec.code] = spec


def registered() -> list[IndicatorSpec]:
    return sorted(_registry.values(), key=lambda spec: (spec.module, spec.code))


def ensure_indicators(year: int) -> list[Indicator]:
    """The year's indicators, made from the declarations where missing (targets are not overwritten)."""
    for spec in registered():
        Indicator.objects.get_or_create(
            code=spec.code,
            year=year,
            defaults={
                "name": str(spec.name),
                "module": spec.module,
                "target": Decimal(str(spec.target)),
                "measure": spec.measure,
                "comparison": spec.comparison,
                "period": spec.period,
                "description": str(spec.description),
            },
        )
    return list(Indicator.objects.filter(year=year))


def progress_of(indicator: Indicator) -> Progress | None:
    """The indicator's progress, or ``None`` when no module computes it (its app is not installed)."""
    spec = _registry.get(indicator.code)
    return None if spec is None else spec.compute(indicator.year)


def is_met(indicator: Indicator, value: float) -> bool:
    target = float(indicator.target)
    return value >= target if indicator.comparison == Indicator.Comparison.AT_LEAST else value <= target


def ratio(indicator: Indicator, value: float) -> float | None:
    """Progress as a fraction of the target (for "at least" targets), for a bar on a dashboard."""
    target = float(indicator.target)
    if indicator.comparison != Indicator.Comparison.AT_LEAST or target <= 0:
        return None
    return round(value / target, 4)


def cumulative(monthly: dict[int, float], *, through: int = 12) -> dict[int, float]:
    """Per-month counts turned into the running total at each month's end (months 1..``through``)."""
    running, out = 0.0, {}
    for month in range(1, through + 1):
        running += monthly.get(month, 0.0)
        out[month] = running
    return out
