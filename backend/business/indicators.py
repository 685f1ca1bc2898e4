"""营商服务's target of the plan: every certificate demanded by government services reviewed."""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext_lazy as _

from backend.bureau.indicators import IndicatorSpec, Progress, register_indicator
from backend.business.models import CertificateRequirement


def certificate_review_progress(year: int) -> Progress:
    """The share (%) of the certificates listed whose review is decided, by department and month."""
    rows = list(CertificateRequirement.objects.values_list("unit_id", "decision", "decided_on"))
    if not rows:
        return Progress(0.0)
    total: dict[int, int] = defaultdict(int)
    decided: dict[int, int] = defaultdict(int)
    for unit_id, decision, _day in rows:
        total[unit_id] += 1
        decided[unit_id] += decision != CertificateRequirement.Decision.PENDING
    by_month = {}
    for month in range(1, 13):
        done = sum(
            1
            for _unit, decision, day in rows
            if decision != CertificateRequirement.Decision.PENDING
            and day is not None
            and (day.year, day.month) <= (year, month)
        )
        by_month[month] = 100 * done / len(rows)
    return Progress(
        value=100 * sum(decided.values()) / len(rows),
        by_unit={unit: 100 * decided[unit] / count for unit, count in total.items()},
        by_month=by_month,
    )


def register() -> None:
    register_indicator(
        IndicatorSpec(
            code="certificate-review",
            module="business",
            name=_("Certificates of government services reviewed"),
            target=100,
            measure="%",
            compute=certificate_review_progress,
            description=_(
                "Each certificate kept on a legal basis, cancelled, or replaced by notification and commitment."
            ),
        )
    )
