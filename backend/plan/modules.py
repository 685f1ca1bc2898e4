"""The plan's numbers that the supervision modules keep, read from the top floor and registered
with ``bureau.indicators`` (those modules sit beside the bureau's, so the plan registers them):
screening done each quarter, archive completeness, and resettlement's hand-over and pickup rates.
Progress by unit is by town (each town's justice office)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import Office
from backend.archives.services import office_completeness
from backend.bureau.indicators import IndicatorSpec, Progress, register_indicator
from backend.plan.indicators import towns_by_office
from backend.resettlement.services import office_rates
from backend.resettlement.services.handover import OfficeRates
from backend.screening.models import Screening
from backend.supervision.models import Subject


def _quarters_begun(year: int, today: dt.date) -> list[str]:
    last = 4 if year < today.year else (0 if year > today.year else (today.month - 1) // 3 + 1)
    return [f"{year}Q{quarter}" for quarter in range(1, last + 1)]


def screening_done(year: int) -> Progress:
    """Quarters begun this year whose screening finished for every office, in percent; by town: the
    share of its quarters screened; by month: as of that month's end."""
    today = timezone.localdate()
    quarters = _quarters_begun(year, today)
    offices = list(
        Office.objects.filter(kind=Office.Kind.OFFICE, is_active=True).values_list("pk", flat=True)
    )
    finished = Screening.objects.filter(quarter__in=quarters, status=Screening.Status.FINISHED)
    covered: dict[str, set[int]] = defaultdict(set)
    for quarter, office in finished.values_list("quarter", "office"):
        covered[quarter] |= set(offices) if office is None else {office}
    if not quarters or not offices:
        return Progress(0.0)

    def share(done_quarters: list[str]) -> float:
        complete = sum(1 for q in done_quarters if set(offices) <= covered.get(q, set()))
        return round(100 * complete / len(done_quarters), 1) if done_quarters else 0.0

    towns = towns_by_office()
    by_unit = {
        towns[office]: round(100 * sum(office in covered.get(q, set()) for q in quarters) / len(quarters), 1)
        for office in offices
        if office in towns
    }
    by_month = {
        month: share(quarters[: (month - 1) // 3 + 1])
        for month in range(1, 13)
        if f"{year}Q{(month - 1) // 3 + 1}" in quarters
    }
    return Progress(value=share(quarters), by_unit=by_unit, by_month=by_month)


def archive_completeness(year: int) -> Progress:
    """Documents present of those due, in percent, over the people in supervision today."""
    rows = office_completeness(Subject.objects.filter(status=Subject.Status.IN_SUPERVISION))
    due: dict[int, int] = defaultdict(int)
    present: dict[int, int] = defaultdict(int)
    for row in rows:
        due[row["office"]] += row["due"]
        present[row["office"]] += row["present"]
    total = sum(due.values())
    towns = towns_by_office()
    return Progress(
        value=round(100 * sum(present.values()) / total, 1) if total else 100.0,
        by_unit={towns[o]: round(100 * present[o] / n, 1) for o, n in due.items() if n and o in towns},
    )


def _rates(year: int) -> list[OfficeRates]:
    offices = Office.objects.filter(kind=Office.Kind.OFFICE)
    return office_rates(offices, dt.date(year, 1, 1), min(timezone.localdate(), dt.date(year, 12, 31)))


def handover_rate(year: int) -> Progress:
    """People released this year whom their office received, in percent (衔接率)."""
    rates = _rates(year)
    towns = towns_by_office()
    released = sum(r.released for r in rates)
    received = sum(r.received for r in rates)
    return Progress(
        value=round(100 * received / released, 1) if released else 100.0,
        by_unit={
            towns[r.office_id]: round(100 * r.handover_rate, 1)
            for r in rates
            if r.handover_rate is not None and r.office_id in towns
        },
    )


def pickup_rate(year: int) -> Progress:
    """Key persons released from prison this year met at the gate, in percent (必接必送)."""
    rates = _rates(year)
    towns = towns_by_office()
    key = sum(r.key_persons for r in rates)
    met = sum(r.met_at_gate for r in rates)
    return Progress(
        value=round(100 * met / key, 1) if key else 100.0,
        by_unit={
            towns[r.office_id]: round(100 * r.pickup_rate, 1)
            for r in rates
            if r.pickup_rate is not None and r.office_id in towns
        },
    )


def register() -> None:
    for code, module, name, compute, description in [
        (
            "screening-each-quarter",
            "screening",
            _("Quarters screened in every office"),
            screening_done,
            _("每季度对社区矫正对象和刑满释放人员开展风险排查."),
        ),
        (
            "archive-completeness",
            "archives",
            _("Archive documents present of those due"),
            archive_completeness,
            _("执行档案、工作档案按目录应归档材料的齐全率."),
        ),
        (
            "handover-rate",
            "resettlement",
            _("Released persons received by their office"),
            handover_rate,
            _("刑满释放人员衔接率."),
        ),
        (
            "pickup-rate",
            "resettlement",
            _("Key persons met at the prison gate"),
            pickup_rate,
            _("重点帮教对象必接必送率."),
        ),
    ]:
        register_indicator(
            IndicatorSpec(
                code=code,
                module=module,
                name=name,
                target=100,
                measure="%",
                compute=compute,
                description=description,
            )
        )
