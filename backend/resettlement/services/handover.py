"""Released-person records opened at the end of supervision, must-receive-must-deliver steps
(必接必送) with their deadlines, the alerts of missed steps, and the rates per office."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from backend.accounts.models import Office, User
from backend.monitoring.events import publish_event
from backend.resettlement.models import STEP_ORDER, HandoverStep, ResettlementAlert, Step
from backend.resettlement.rules import assistance_end, step_deadline
from backend.supervision.models import ReleasedPerson, Subject

CONSOLE_EVENT = "resettlement.alert"
ALERT_CHUNK = 100
# A step's time may be a few minutes ahead of the server's clock, never more.
CLOCK_TOLERANCE = dt.timedelta(minutes=5)


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


def open_released_person(subject: Subject) -> ReleasedPerson:
    """The released-person record of a subject whose community correction ended. Idempotent.

    Connected to ``supervision.signals.supervision_ended`` (inside ``end_supervision``'s
    transaction): the person is already at home in the office, so the record starts in
    resettlement help, received at once, for the five-year assistance period.
    """
    existing = ReleasedPerson.objects.filter(from_subject=subject).first()
    if existing is not None:
        return existing
    ended = timezone.localdate(subject.ended_at) if subject.ended_at else timezone.localdate()
    return ReleasedPerson.objects.create(
        source=ReleasedPerson.Source.COMMUNITY_CORRECTION,
        from_subject=subject,
        office_id=subject.office_id,
        responsible_officer_id=subject.responsible_officer_id,
        name=subject.name,
        gender=subject.gender,
        id_number=subject.id_number,
        phone=subject.phone,
        home_address=subject.home_address,
        home_lat=subject.home_lat,
        home_lon=subject.home_lon,
        crime=subject.crime,
        release_date=ended,
        expected_release_date=ended,
        resettlement_end=assistance_end(ended),
        received_at=subject.ended_at or timezone.now(),
        status=ReleasedPerson.Status.IN_RESETTLEMENT,
    )


def supervision_ended(sender: Any, subject: Subject, **kwargs: Any) -> None:
    open_released_person(subject)


# ---------------------------------------------------------------------------------------------
# Must receive, must deliver
# ---------------------------------------------------------------------------------------------


def _release_day(person: ReleasedPerson) -> dt.date:
    return person.expected_release_date or person.release_date


def needs_handover(person: ReleasedPerson) -> bool:
    return person.is_key_person and person.source == ReleasedPerson.Source.PRISON_NOTICE


def open_handover(person: ReleasedPerson, by: User | None = None) -> list[HandoverStep]:
    """The four steps of a key person released from prison, with their deadlines. Idempotent.

    The record exists because a prison's notice came: the notice step is done when it opens.
    """
    if not needs_handover(person):
        raise ValidationError(
            {"released_person": [_("Only key persons released from prison are received at the gate.")]},
            code="not_key_person",
        )
    release = _release_day(person)
    with transaction.atomic():
        for step in STEP_ORDER:
            defaults: dict[str, Any] = {"deadline": step_deadline(step, release)}
            if step == Step.NOTICE:
                defaults.update(
                    done_at=person.created_at or timezone.now(), place=person.prison, recorded_by=by
                )
                defaults["recorded_at"] = timezone.now()
            HandoverStep.objects.get_or_create(released_person=person, step=step, defaults=defaults)
        if person.handover_deadline is None:
            person.handover_deadline = step_deadline(Step.DELIVERED_HOME, release)
            person.save(update_fields=["handover_deadline", "updated_at"])
    return list(person.handover_steps.order_by("deadline", "pk"))


def open_missing_handovers() -> int:
    """Open the steps of every key person released from prison who has none (a safety net)."""
    people = ReleasedPerson.objects.filter(
        is_key_person=True,
        source=ReleasedPerson.Source.PRISON_NOTICE,
        status=ReleasedPerson.Status.AWAITING_HANDOVER,
        handover_steps__isnull=True,
    )
    count = 0
    for person in people:
        open_handover(person)
        count += 1
    return count


def released_person_saved(sender: Any, instance: ReleasedPerson, created: bool, **kwargs: Any) -> None:
    """A key person noticed by a prison gets their steps as soon as the record is saved."""
    if kwargs.get("raw") or instance.status != ReleasedPerson.Status.AWAITING_HANDOVER:
        return
    if needs_handover(instance) and not instance.handover_steps.exists():
        open_handover(instance)


def record_step(
    step: HandoverStep,
    *,
    done_at: dt.datetime,
    by: User,
    place: str = "",
    people: str = "",
    notes: str = "",
) -> HandoverStep:
    """Record a step as done, in order; the person is received when delivered home."""
    if step.done_at is not None:
        raise ValidationError({"step": [_("This step is already recorded.")]}, code="done")
    if done_at > timezone.now() + CLOCK_TOLERANCE:
        raise ValidationError({"done_at": [_("This time is in the future.")]}, code="invalid")
    order = STEP_ORDER.index(Step(step.step))
    if order > 0:
        before = HandoverStep.objects.filter(
            released_person_id=step.released_person_id, step=STEP_ORDER[order - 1]
        ).first()
        if before is not None and before.done_at is None:
            raise ValidationError(
                {
                    "step": [
                        _("Record the step before this one first: %(step)s.")
                        % {"step": before.get_step_display()}
                    ]
                },
                code="out_of_order",
            )
        if before is not None and before.done_at is not None and done_at < before.done_at:
            raise ValidationError(
                {"done_at": [_("This step cannot be done before the one before it.")]}, code="invalid"
            )
    if step.step == Step.MET_AT_GATE:
        errors = {}
        if not place.strip():
            errors["place"] = [_("Say where the person was met.")]
        if not people.strip():
            errors["people"] = [_("Say who met the person.")]
        if errors:
            raise ValidationError(errors, code="required")
    now = timezone.now()
    with transaction.atomic():
        step.done_at, step.place, step.people, step.notes = done_at, place.strip(), people.strip(), notes
        step.recorded_by, step.recorded_at = by, now
        step.save()
        if step.step == Step.DELIVERED_HOME:
            person = step.released_person
            person.received_at = done_at
            person.status = ReleasedPerson.Status.RECEIVED
            if person.resettlement_end is None:
                person.resettlement_end = assistance_end(timezone.localdate(done_at))
            person.save(update_fields=["received_at", "status", "resettlement_end", "updated_at"])
        ResettlementAlert.objects.filter(
            released_person_id=step.released_person_id, step=step.step, status=ResettlementAlert.Status.OPEN
        ).update(
            status=ResettlementAlert.Status.RESOLVED,
            resolved_at=now,
            resolved_by=by,
            resolution_note=_("The step was recorded as done."),
        )
    return step


# ---------------------------------------------------------------------------------------------
# Deadlines and alerts
# ---------------------------------------------------------------------------------------------


def alert_payload(alert: ResettlementAlert) -> dict[str, Any]:
    person = alert.released_person
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "kind_label": str(alert.get_kind_display()),
        "released_person_id": person.pk,
        "name": person.name,
        "office_id": alert.office_id,
        "step": alert.step,
        "step_label": str(alert.get_step_display()) if alert.step else "",
        "deadline": alert.deadline.isoformat() if alert.deadline else None,
        "status": alert.status,
        "raised_at": alert.raised_at.isoformat() if alert.raised_at else None,
    }


def check_deadlines(now: dt.datetime | None = None) -> int:
    """Raise one alert for each step past its deadline and not done. Idempotent (dedupe key)."""
    now = now or timezone.now()
    # Steps already alerted are left out in the same query: a rerun reads nothing more.
    alerted = ResettlementAlert.objects.filter(
        released_person_id=OuterRef("released_person_id"),
        step=OuterRef("step"),
        kind=ResettlementAlert.Kind.STEP_MISSED,
    )
    late = (
        HandoverStep.objects.filter(done_at__isnull=True, deadline__lt=now)
        .exclude(released_person__status=ReleasedPerson.Status.ENDED)
        .exclude(Exists(alerted))
        .select_related("released_person")
    )
    raised = 0
    # A transaction per chunk of steps: one commit for a hundred alerts (a backlog of 3,100 took
    # 80 s at a commit each on a busy disk), while the console's event counter, locked until
    # commit, is held only briefly (monitoring's alerts take it too). A failed chunk rolls back
    # and the next run raises its alerts, once each (the dedupe key).
    steps = list(late)
    for first in range(0, len(steps), ALERT_CHUNK):
        with transaction.atomic():
            for step in steps[first : first + ALERT_CHUNK]:
                alert, created = ResettlementAlert.objects.get_or_create(
                    dedupe_key=f"handover:{step.released_person_id}:{step.step}",
                    defaults={
                        "kind": ResettlementAlert.Kind.STEP_MISSED,
                        "released_person": step.released_person,
                        "office_id": step.released_person.office_id,
                        "step": step.step,
                        "deadline": step.deadline,
                    },
                )
                if not created:
                    continue
                # The console hears it the one way live events travel (numbered, stored, replayed).
                event = publish_event(alert.office_id, CONSOLE_EVENT, alert_payload(alert))
                ResettlementAlert.objects.filter(pk=alert.pk).update(console_seq=event.seq)
                raised += 1
    return raised


def resolve_alert(alert: ResettlementAlert, *, by: User, note: str) -> ResettlementAlert:
    if alert.status == ResettlementAlert.Status.RESOLVED:
        raise ValidationError({"status": [_("This alert is already resolved.")]}, code="resolved")
    if not note.strip():
        raise ValidationError({"note": [_("Say how the alert was handled.")]}, code="required")
    alert.status = ResettlementAlert.Status.RESOLVED
    alert.resolved_by, alert.resolved_at, alert.resolution_note = by, timezone.now(), note.strip()
    alert.save(update_fields=["status", "resolved_by", "resolved_at", "resolution_note"])
    return alert


# ---------------------------------------------------------------------------------------------
# Rates
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficeRates:
    """Per office, over the persons released in a period (as the national work points count):
    hand-over rate = received by the office / released; pickup rate = key persons met at the
    gate / key persons released from prison."""

    office_id: int
    office_name: str
    released: int
    received: int
    key_persons: int
    met_at_gate: int

    @property
    def handover_rate(self) -> float | None:
        return round(self.received / self.released, 4) if self.released else None

    @property
    def pickup_rate(self) -> float | None:
        return round(self.met_at_gate / self.key_persons, 4) if self.key_persons else None


def office_rates(offices: QuerySet[Office], start: dt.date, end: dt.date) -> list[OfficeRates]:
    """The rates of each of ``offices`` over persons released from ``start`` to ``end`` inclusive."""
    people = ReleasedPerson.objects.filter(release_date__gte=start, release_date__lte=end, office__in=offices)
    key = Q(is_key_person=True, source=ReleasedPerson.Source.PRISON_NOTICE)
    rows = {
        row["office_id"]: row
        for row in people.values("office_id").annotate(
            released=Count("pk", distinct=True),
            received=Count("pk", filter=Q(received_at__isnull=False), distinct=True),
            key_persons=Count("pk", filter=key, distinct=True),
            met=Count(
                "pk",
                filter=key & Q(handover_steps__step=Step.MET_AT_GATE, handover_steps__done_at__isnull=False),
                distinct=True,
            ),
        )
    }
    result = []
    for office in offices.order_by("code"):
        row: dict[str, Any] = dict(rows.get(office.pk, {}))
        result.append(
            OfficeRates(
                office.pk,
                office.name,
                row.get("released", 0),
                row.get("received", 0),
                row.get("key_persons", 0),
                row.get("met", 0),
            )
        )
    return result
