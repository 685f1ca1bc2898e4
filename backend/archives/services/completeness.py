"""Completeness: which required documents each archive lacks, and which of those are overdue.

For each subject and each active required catalogue item that applies to the subject's sentence:

- intake items are due ``deadline_days`` after the supervision starts;
- monthly items are due for every month of the supervision up to the current one, each
  ``deadline_days`` after its month ends (the current month is missing but not overdue yet);
- termination items are due ``deadline_days`` from the supervision's end, and counted from
  60 days before it (or once the supervision ended).

A document counts when the subject's archive holds one of the item (of the period, for a
monthly item), whatever its versions.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from backend.archives.models import CatalogueItem, Document, Recurrence, Stage
from backend.supervision.models import Subject

TERMINATION_LOOKAHEAD = dt.timedelta(days=60)


@dataclass(frozen=True)
class Expected:
    subject_id: int
    item: str
    name: str
    archive: str
    stage: str
    period: str
    due: dt.date
    present: bool
    overdue: bool


def _months(start: dt.date, end: dt.date) -> Iterable[tuple[str, dt.date]]:
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        last = dt.date(year, month, calendar.monthrange(year, month)[1])
        yield f"{year:04d}-{month:02d}", last
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def expected_documents(
    subjects: Iterable[Subject], today: dt.date | None = None, stage: str | None = None
) -> list[Expected]:
    """Every required document of ``subjects`` that is due by now, present or not."""
    today = today or timezone.localdate()
    subjects = list(subjects)
    items = [
        i for i in CatalogueItem.objects.filter(is_active=True, required=True) if stage in (None, i.stage)
    ]
    held: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for subject_id, item_id, period in Document.objects.filter(
        archive__subject__in=[s.pk for s in subjects], catalogue_item__isnull=False
    ).values_list("archive__subject_id", "catalogue_item_id", "period"):
        held[subject_id].add((item_id, period))
        held[subject_id].add((item_id, ""))
    out: list[Expected] = []
    for subject in subjects:
        ended = subject.status == Subject.Status.ENDED
        last_day = min(today, subject.supervision_end)
        for item in items:
            if not item.applies_to(subject):
                continue
            days = dt.timedelta(days=item.deadline_days)
            if item.stage == Stage.INTAKE:
                periods = [("", subject.supervision_start + days)]
            elif item.stage == Stage.TERMINATION:
                if not ended and today < subject.supervision_end - TERMINATION_LOOKAHEAD:
                    continue
                periods = [("", subject.supervision_end + days)]
            elif item.recurrence == Recurrence.MONTHLY:
                periods = [(p, end + days) for p, end in _months(subject.supervision_start, last_day)]
            else:
                continue  # filed when it happens
            for period, due in periods:
                present = (item.pk, period) in held[subject.pk]
                out.append(
                    Expected(
                        subject_id=subject.pk,
                        item=item.code,
                        name=item.name,
                        archive=item.archive_kind,
                        stage=item.stage,
                        period=period,
                        due=due,
                        present=present,
                        overdue=not present and due < today,
                    )
                )
    return out


def subject_completeness(subject: Subject, today: dt.date | None = None) -> dict[str, Any]:
    expected = expected_documents([subject], today)
    missing = [asdict(e) for e in expected if not e.present]
    return {
        "subject": subject.pk,
        "due": len(expected),
        "present": len(expected) - len(missing),
        "missing": missing,
        "overdue": sum(1 for e in missing if e["overdue"]),
    }


def office_completeness(
    subjects: QuerySet[Subject], today: dt.date | None = None, stage: str | None = None
) -> list[dict[str, Any]]:
    """Per office and stage: documents due, present, missing and overdue."""
    people = list(subjects.select_related("office"))
    names = {s.office_id: s.office.name for s in people}
    totals: dict[tuple[int, str], dict[str, int]] = defaultdict(
        lambda: {"due": 0, "present": 0, "missing": 0, "overdue": 0}
    )
    office_of = {s.pk: s.office_id for s in people}
    for e in expected_documents(people, today, stage):
        row = totals[(office_of[e.subject_id], e.stage)]
        row["due"] += 1
        row["present"] += e.present
        row["missing"] += not e.present
        row["overdue"] += e.overdue
    return [
        {"office": office, "office_name": names[office], "stage": stage_, **counts}
        for (office, stage_), counts in sorted(totals.items())
    ]
