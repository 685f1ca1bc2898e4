"""Running a screening: start, plan into chunks, score chunks on any number of workers, finish.

The way a run survives a killed worker: every chunk is scored in one transaction that locks the
chunk row (``FOR UPDATE SKIP LOCKED``, so workers never wait for each other), inserts the chunk's
results and marks the chunk done. A worker killed in the middle loses its connection, PostgreSQL
rolls its transaction back and releases the lock, and the chunk is pending again for the next
worker (``resume``: at every worker start and from the periodic sweep). Results are unique per
run and person, so nobody is ever scored twice.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from backend.accounts.models import Office, User
from backend.core.outbox import queue_on_commit
from backend.monitoring.events import publish_event, publish_transient
from backend.screening.factors import Chunk, factor_for
from backend.screening.models import RuleTable, Screening, ScreeningChunk, ScreeningResult
from backend.screening.rules import Fact, PersonKind, review_reasons, score_person
from backend.screening.services.quarters import previous_quarter, quarter_of, quarter_window
from backend.screening.sql import insert_results
from backend.supervision.models import ReleasedPerson, Subject

log = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 2000
# How many tasks share a run's chunks (more than the workers only costs idle tasks).
PARALLEL_TASKS = 4
STALE_AFTER = dt.timedelta(minutes=2)


class ScreeningError(ValueError):
    """A screening that cannot be started: ``field`` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def chunk_size() -> int:
    return int(getattr(settings, "SCREENING_CHUNK_SIZE", DEFAULT_CHUNK_SIZE))


def active_rule_table() -> RuleTable:
    table = RuleTable.objects.filter(is_active=True).order_by("-version").first()
    if table is None:
        raise ScreeningError("rules", "no rule table is in use")
    return table


# ---------------------------------------------------------------------------------------------
# Starting
# ---------------------------------------------------------------------------------------------


def start_screening(
    *,
    quarter: str | None = None,
    office: Office | None = None,
    user: User | None = None,
    trigger: str = Screening.Trigger.STAFF,
    now: dt.datetime | None = None,
) -> Screening:
    """Create a run over ``quarter`` (default: this quarter so far) and queue it after commit.

    A quarter that has not begun is refused; the current quarter is screened up to now.
    """
    from backend.screening import tasks

    now = now or timezone.now()
    quarter = quarter or quarter_of(now)
    start, end = quarter_window(quarter)
    if start > now:
        raise ScreeningError("quarter", "the quarter has not begun")
    screening = Screening.objects.create(
        quarter=quarter,
        window_start=start,
        window_end=min(end, now),
        office=office,
        rule_table=active_rule_table(),
        trigger=trigger,
        started_by=user,
    )
    queue_on_commit(tasks.plan_screening, screening.pk)
    return screening


def start_scheduled_screening(now: dt.datetime | None = None) -> Screening | None:
    """At a quarter's start: screen the quarter that just ended, county-wide, once."""
    now = now or timezone.now()
    quarter = previous_quarter(quarter_of(now))
    if Screening.objects.filter(quarter=quarter, office=None, trigger=Screening.Trigger.SCHEDULE).exists():
        return None
    return start_screening(quarter=quarter, trigger=Screening.Trigger.SCHEDULE, now=now)


# ---------------------------------------------------------------------------------------------
# Who is screened
# ---------------------------------------------------------------------------------------------


def population(kind: str, screening: Screening) -> QuerySet[Any]:
    """The people of ``kind`` a run screens: in supervision (or resettlement) at some time in the
    window and already known at its end. The same answer whenever it is asked (for a re-run chunk)."""
    queryset: QuerySet[Any]
    if kind == PersonKind.SUBJECT:
        queryset = Subject.objects.filter(created_at__lt=screening.window_end).filter(
            Q(status=Subject.Status.IN_SUPERVISION) | Q(ended_at__gte=screening.window_start)
        )
    else:
        queryset = ReleasedPerson.objects.filter(created_at__lt=screening.window_end).filter(
            ~Q(status=ReleasedPerson.Status.ENDED)
            | Q(resettlement_end__gte=screening.window_start.astimezone(dt.UTC).date())
        )
    if screening.office_id is not None:
        queryset = queryset.filter(office_id=screening.office_id)
    return queryset


def plan_screening(screening_id: int) -> int:
    """Split a queued run's people into chunks and mark it running; the number of chunks to do.

    Idempotent: a run already planned is left as it is.
    """
    size = chunk_size()
    with transaction.atomic():
        screening = Screening.objects.select_for_update().filter(pk=screening_id).first()
        if screening is None or screening.status != Screening.Status.QUEUED:
            return 0 if screening is None else screening.chunks_total - screening.chunks_done
        chunks: list[ScreeningChunk] = []
        for kind in PersonKind.values:
            ids = list(population(kind, screening).order_by("pk").values_list("pk", flat=True))
            for offset in range(0, len(ids), size):
                part = ids[offset : offset + size]
                chunks.append(
                    ScreeningChunk(
                        screening=screening,
                        person_kind=kind,
                        first_id=part[0],
                        last_id=part[-1],
                        size=len(part),
                    )
                )
        ScreeningChunk.objects.bulk_create(chunks)
        previous = quarter_window(previous_quarter(screening.quarter))
        screening.summary = {
            "previous_runs": list(
                Screening.objects.filter(status=Screening.Status.FINISHED, window_start=previous[0])
                .order_by("id")
                .values_list("id", flat=True)
            )
        }
        screening.total = sum(chunk.size for chunk in chunks)
        screening.chunks_total = len(chunks)
        screening.status = Screening.Status.RUNNING
        screening.started_at = timezone.now()
        screening.save()
        _publish_progress(screening)
    if not chunks:
        finish_if_done(screening_id)
    return len(chunks)


# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------


def score_next_chunk(screening_id: int) -> int | None:
    """Score one pending chunk nobody else holds; the people scored, or ``None`` if none is left."""
    with transaction.atomic():
        chunk = (
            ScreeningChunk.objects.select_for_update(skip_locked=True)
            .filter(screening_id=screening_id, done_at__isnull=True)
            .order_by("id")
            .first()
        )
        if chunk is None:
            return None
        screening = Screening.objects.select_related("rule_table").get(pk=screening_id)
        results = score_people(screening, chunk.person_kind, chunk.first_id, chunk.last_id)
        insert_results(results)
        ScreeningChunk.objects.filter(pk=chunk.pk).update(done_at=timezone.now())
        # The run's row is locked from here to the commit only: the other workers barely wait.
        Screening.objects.filter(pk=screening_id).update(
            done=F("done") + len(results), chunks_done=F("chunks_done") + 1
        )
        screening.refresh_from_db(fields=["done", "chunks_done", "total", "status"])
        _publish_progress(screening)
    return len(results)


def score_people(screening: Screening, kind: str, first_id: int, last_id: int) -> list[dict[str, Any]]:
    """The results of the people of ``kind`` with ids in ``first_id..last_id``, as rows of
    ``sql.RESULT_COLUMNS`` (not saved).

    A few queries for the whole range: the people, each factor source's (sharing through the
    chunk's memo), and last quarter's results.
    """
    # A chunk makes tens of thousands of small acyclic dicts; the cyclic collector walked the
    # worker's whole heap several times per chunk for nothing (40 % of a chunk's time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _score_people(screening, kind, first_id, last_id)
    finally:
        if collecting:
            gc.enable()


def _score_people(screening: Screening, kind: str, first_id: int, last_id: int) -> list[dict[str, Any]]:
    people = list(
        population(kind, screening)
        .filter(pk__gte=first_id, pk__lte=last_id)
        .order_by("pk")
        .values_list("pk", "name", "office_id")
    )
    ids = [row[0] for row in people]
    chunk = Chunk(
        kind=kind,
        person_ids=ids,
        first_id=first_id,
        last_id=last_id,
        window_start=screening.window_start,
        window_end=screening.window_end,
        as_of=screening.created_at,
    )
    table = screening.rule_table
    section = table.rules[kind]
    found: dict[str, Any] = {}
    for factor in section["factors"]:
        source = factor_for(factor["code"], kind)
        found[factor["code"]] = source.compute(chunk) if source is not None and ids else {}
    previous = _previous_results(screening, kind, ids)
    results = []
    for person_id, name, office_id in people:
        facts: dict[str, Fact | None] = {code: answers.get(person_id) for code, answers in found.items()}
        scored = score_person(section, facts)
        before = previous.get(person_id)
        previous_band = before[1] if before else ""
        reasons = review_reasons(scored.band, previous_band or None)
        results.append(
            {
                "screening_id": screening.pk,
                "person_kind": kind,
                "person_id": person_id,
                "office_id": office_id,
                "name": name,
                "rule_version": table.version,
                "score": scored.score,
                "band": scored.band,
                "missing": scored.missing,
                "factors": scored.factors,
                "factor_summary": scored.summary,
                "previous_score": before[0] if before else None,
                "previous_band": previous_band,
                "needs_review": bool(reasons),
                "review_reasons": reasons,
            }
        )
    return results


def _previous_results(screening: Screening, kind: str, ids: list[int]) -> dict[int, tuple[float, str]]:
    runs = (screening.summary or {}).get("previous_runs") or []
    if not runs or not ids:
        return {}
    previous: dict[int, tuple[float, str]] = {}
    rows = (
        ScreeningResult.objects.filter(
            screening_id__in=runs, person_kind=kind, person_id__gte=ids[0], person_id__lte=ids[-1]
        )
        .order_by("screening_id")
        .values_list("person_id", "score", "band", "override_band")
    )
    for person_id, score, band, override in rows:  # the latest run of that quarter wins
        previous[person_id] = (score, override or band)
    return previous


def work_on(screening_id: int) -> int:
    """Score chunks of a run until none is left, then finish it if it is done; people scored."""
    total = 0
    while (scored := score_next_chunk(screening_id)) is not None:
        total += scored
    finish_if_done(screening_id)
    return total


def finish_if_done(screening_id: int) -> bool:
    """Mark a running run finished once no chunk is pending, and tell the consoles (once)."""
    with transaction.atomic():
        if ScreeningChunk.objects.filter(screening_id=screening_id, done_at__isnull=True).exists():
            return False
        results = ScreeningResult.objects.filter(screening_id=screening_id)
        by_office: dict[int, dict[str, int]] = {}
        for office_id, band, review, n in (
            results.values_list("office_id", "band", "needs_review").annotate(n=Count("id")).order_by()
        ):
            counts = by_office.setdefault(office_id, {"total": 0, "review": 0})
            counts[band] = counts.get(band, 0) + n
            counts["total"] += n
            counts["review"] += n if review else 0
        bands: dict[str, int] = {}
        for counts in by_office.values():
            for key, n in counts.items():
                bands[key] = bands.get(key, 0) + n
        screening = Screening.objects.select_for_update().filter(pk=screening_id).first()
        if screening is None or screening.status != Screening.Status.RUNNING:
            return False
        screening.status = Screening.Status.FINISHED
        screening.finished_at = timezone.now()
        screening.summary = {**(screening.summary or {}), "counts": bands}
        screening.done = bands.get("total", 0)
        screening.save(update_fields=["status", "finished_at", "summary", "done"])
        for office_id, counts in sorted(by_office.items()):
            publish_event(
                office_id,
                "screening.finished",
                {
                    "id": screening.pk,
                    "quarter": screening.quarter,
                    "office_id": office_id,
                    "counts": counts,
                    "whole_county": screening.office_id is None,
                },
            )
        _publish_progress(screening)
    log.info("screening %s finished: %s", screening_id, bands)
    return True


def _publish_progress(screening: Screening) -> None:
    publish_transient(
        [] if screening.office_id is None else [screening.office_id],
        "screening.progress",
        {
            "id": screening.pk,
            "quarter": screening.quarter,
            "status": screening.status,
            "done": screening.done,
            "total": screening.total,
        },
    )


# ---------------------------------------------------------------------------------------------
# Resuming after a lost worker
# ---------------------------------------------------------------------------------------------


def unfinished(stale_after: dt.timedelta | None = STALE_AFTER) -> list[tuple[int, str]]:
    """``(id, status)`` of runs not finished (and, with ``stale_after``, not begun that long ago)."""
    queryset = Screening.objects.exclude(status=Screening.Status.FINISHED)
    if stale_after is not None:
        queryset = queryset.filter(created_at__lt=timezone.now() - stale_after)
    return list(queryset.order_by("id").values_list("id", "status"))
