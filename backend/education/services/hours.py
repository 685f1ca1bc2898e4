"""Hours: how many a subject must complete each month (by supervision level), how many they have,
and who is behind.

The hours required per month are the supervision policy's of the subject's level (分类管理,
``backend.supervision.rules``). A session counts in the month it starts (county time).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from backend.education.models import Enrollment
from backend.supervision.models import Subject
from backend.supervision.rules import Policy, policies, policy_for

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(raw: str | None, field: str = "month") -> str:
    """``YYYY-MM`` (this month when empty), or a field-level 400."""
    if not raw:
        return timezone.localtime().strftime("%Y-%m")
    match = _MONTH.match(raw) if isinstance(raw, str) else None
    if match is None or not 2000 <= int(match[1]) <= 2099 or not 1 <= int(match[2]) <= 12:
        raise ValidationError({field: [_("A month as YYYY-MM between 2000-01 and 2099-12.")]}, code="invalid")
    return raw


def month_window(month: str) -> tuple[dt.datetime, dt.datetime]:
    """The month's first instant and the next month's, in the county's time zone."""
    year, number = int(month[:4]), int(month[5:7])
    zone = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime(year, number, 1, tzinfo=zone)
    end = dt.datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=zone)
    return start, end


def required_hours(level: str, table: dict[str, Policy] | None = None) -> Decimal:
    """Hours of education a subject of ``level`` must complete in a month (the level's policy)."""
    return policy_for(level, table).education_hours_per_month


@dataclass(frozen=True)
class MonthHours:
    subject: Subject
    month: str
    required: Decimal
    completed: Decimal

    @property
    def missing(self) -> Decimal:
        return max(Decimal(0), self.required - self.completed)

    @property
    def behind(self) -> bool:
        return self.completed < self.required


def _completed(subject_ids: QuerySet[Subject] | list[int], month: str) -> dict[int, Decimal]:
    start, end = month_window(month)
    rows = (
        Enrollment.objects.filter(
            subject__in=subject_ids, session__starts_at__gte=start, session__starts_at__lt=end
        )
        .values("subject_id")
        .annotate(total=Sum("hours_credited"))
    )
    return {row["subject_id"]: Decimal(row["total"] or 0) for row in rows}


def subject_month_hours(subject: Subject, month: str) -> MonthHours:
    completed = _completed([subject.pk], month).get(subject.pk, Decimal(0))
    return MonthHours(subject, month, required_hours(subject.supervision_level), completed)


def hours_behind(subjects: QuerySet[Subject], month: str) -> list[MonthHours]:
    """Subjects of ``subjects`` in supervision during ``month`` who completed fewer hours than required."""
    start, end = month_window(month)
    in_month = subjects.filter(
        status=Subject.Status.IN_SUPERVISION,
        supervision_start__lt=end.date(),
        supervision_end__gte=start.date(),
    ).select_related("office")
    completed = _completed(in_month.values_list("pk", flat=True), month)  # type: ignore[arg-type]
    table = policies()
    rows = [
        MonthHours(s, month, required_hours(s.supervision_level, table), completed.get(s.pk, Decimal(0)))
        for s in in_month.order_by("office_id", "name", "pk")
    ]
    return [row for row in rows if row.behind]


def months_behind(
    subject_ids: list[int], window_start: dt.datetime, window_end: dt.datetime
) -> dict[int, tuple[int, Decimal]]:
    """``{subject: (months behind, hours missing)}`` over the whole months of the window (a
    quarter, for the risk screening), counting only months the subject was in supervision.
    Every subject of ``subject_ids`` is answered (zero is a fact); a few queries for all of them."""
    zone = ZoneInfo(settings.TIME_ZONE)
    months: list[str] = []
    cursor = timezone.localtime(window_start, zone).date().replace(day=1)
    while True:
        start, end = month_window(cursor.strftime("%Y-%m"))
        if start >= window_end:
            break
        if start >= window_start and end <= window_end:
            months.append(cursor.strftime("%Y-%m"))
        cursor = end.date()
    table = policies()
    people = Subject.objects.filter(pk__in=subject_ids).values_list(
        "pk", "supervision_level", "supervision_start", "supervision_end"
    )
    completed: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    if months:
        first, _ = month_window(months[0])
        _, last = month_window(months[-1])
        rows = (
            Enrollment.objects.filter(
                subject_id__in=subject_ids, session__starts_at__gte=first, session__starts_at__lt=last
            )
            .annotate(month=TruncMonth("session__starts_at", tzinfo=zone))
            .values("subject_id", "month")
            .annotate(total=Sum("hours_credited"))
        )
        for row in rows:
            completed[(row["subject_id"], row["month"].strftime("%Y-%m"))] += Decimal(row["total"] or 0)
    result: dict[int, tuple[int, Decimal]] = dict.fromkeys(subject_ids, (0, Decimal(0)))
    for pk, level, starts, ends in people:
        required = required_hours(level, table)
        behind, missing = 0, Decimal(0)
        for month in months:
            start, end = month_window(month)
            if starts >= end.date() or ends < start.date():
                continue  # not in supervision that month
            done = completed[(pk, month)]
            if done < required:
                behind += 1
                missing += required - done
        result[pk] = (behind, missing)
    return result
