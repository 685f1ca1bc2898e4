"""Quarterly contract catalogues and the compliance notices for a unit that misses one."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.bureau.models import Unit, UnitMembership, UnitReturn
from backend.lawadmin.models import ComplianceNotice, ContractCatalogue
from backend.lawadmin.models.legality import CATALOGUE_GRACE_DAYS

# Who files catalogues: the departments and the towns.
FILING_KINDS = (Unit.Kind.DEPARTMENT, Unit.Kind.TOWN)
FILED = (UnitReturn.Status.SUBMITTED, UnitReturn.Status.ACCEPTED)


def quarter_end(year: int, quarter: int) -> dt.date:
    return dt.date(year, 12, 31) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1) - dt.timedelta(days=1)


def catalogue_due(year: int, quarter: int) -> dt.date:
    """The last day a quarter's catalogue is on time."""
    return quarter_end(year, quarter) + dt.timedelta(days=CATALOGUE_GRACE_DAYS)


def filing_units() -> QuerySet[Unit]:
    return Unit.objects.filter(kind__in=FILING_KINDS, is_active=True)


def missing_catalogues(year: int, quarter: int) -> QuerySet[Unit]:
    """Units that have not filed (submitted or accepted) the quarter's catalogue."""
    filed = ContractCatalogue.objects.filter(year=year, quarter=quarter, status__in=FILED).values("unit_id")
    return filing_units().exclude(pk__in=filed).order_by("kind", "code")


def _number(year: int) -> str:
    count = ComplianceNotice.objects.filter(number__startswith=f"荣司提〔{year}〕").count()
    return f"荣司提〔{year}〕{count + 1}号"


@transaction.atomic
def issue_compliance_notices(
    year: int, quarter: int, *, by: User | None = None, today: dt.date | None = None
) -> list[ComplianceNotice]:
    """A notice (提示单) for each unit that missed the quarter's catalogue and has none yet: the
    document is generated and stored, and sent to the unit's reporters (recorded on the notice)."""
    today = today or timezone.localdate()
    due = catalogue_due(year, quarter)
    if today <= due:
        raise ValidationError(
            {"quarter": [_("The catalogues of this quarter are due until %(date)s.") % {"date": due}]}
        )
    already = ComplianceNotice.objects.filter(year=year, quarter=quarter).values("unit_id")
    notices = []
    for unit in missing_catalogues(year, quarter).exclude(pk__in=already):
        reason = _(
            "The contract catalogue and legality review report of %(year)d Q%(quarter)d were not filed by %(due)s."
        ) % {"year": year, "quarter": quarter, "due": due}
        notice = ComplianceNotice(
            unit=unit, year=year, quarter=quarter, number=_number(year), reason=reason, issued_by=by
        )
        html = render_to_string(
            "lawadmin/compliance_notice.html", {"notice": notice, "unit": unit, "due": due, "today": today}
        )
        notice.document.save(f"{notice.number}.html", ContentFile(html.encode("utf-8")), save=False)
        reporters = UnitMembership.objects.filter(unit=unit).select_related("user")
        notice.sent_to = ", ".join(m.user.username for m in reporters)[:300]
        notice.sent_at = timezone.now()
        notice.save()
        notices.append(notice)
    return notices


def last_quarters_due(today: dt.date, count: int = 4) -> list[tuple[int, int]]:
    """The ``count`` latest quarters whose catalogues are past due on ``today``, newest first."""
    year, quarter = today.year, (today.month - 1) // 3 + 1
    found: list[tuple[int, int]] = []
    while len(found) < count:
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
        if catalogue_due(year, quarter) < today:
            found.append((year, quarter))
    return found


def issue_due_compliance_notices(today: dt.date | None = None) -> int:
    """The daily job: notices for every unit that missed a catalogue of the last year's quarters
    past their due date (a quarter already noticed is skipped unit by unit). Returns how many."""
    today = today or timezone.localdate()
    return sum(
        len(issue_compliance_notices(year, quarter, today=today))
        for year, quarter in last_quarters_due(today)
    )


def acknowledge_notice(notice: ComplianceNotice) -> ComplianceNotice:
    if notice.acknowledged_at is None:
        notice.acknowledged_at = timezone.now()
        notice.save(update_fields=["acknowledged_at"])
    return notice
