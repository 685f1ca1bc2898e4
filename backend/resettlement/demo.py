"""Resettlement part of the demo county: key persons at every step of must-receive-must-deliver
(one of them late, so the console shows a resettlement alert), assistance teams with members,
visits and this quarter's screenings. Idempotent: it takes the supervision demo's released
persons through the steps, so the county keeps the number of people it was asked for."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from backend.resettlement.models import AssistanceTeam, HandoverStep, SafetyScreening, Step, TeamMember, Visit
from backend.resettlement.services import check_deadlines, create_team, open_handover
from backend.supervision.models import ReleasedPerson

# (name suffix, days until release, steps done)
STAGES = [
    ("通知已收", 20, [Step.NOTICE]),
    ("已定接送计划", 2, [Step.NOTICE, Step.PICKUP_PLANNED]),
    ("已狱门接回", 0, [Step.NOTICE, Step.PICKUP_PLANNED, Step.MET_AT_GATE]),
    ("已送达", -6, [Step.NOTICE, Step.PICKUP_PLANNED, Step.MET_AT_GATE, Step.DELIVERED_HOME]),
    ("未按时接回", -2, [Step.NOTICE, Step.PICKUP_PLANNED]),
]
PER_OFFICE = len(STAGES)
OFFICES = 3


def _at_stage(person: ReleasedPerson, days: int, today: dt.date) -> ReleasedPerson:
    """Make a demo person a key person noticed by a prison, released ``days`` from today."""
    release = today + dt.timedelta(days=days)
    ReleasedPerson.objects.filter(pk=person.pk).update(
        is_key_person=True,
        source=ReleasedPerson.Source.PRISON_NOTICE,
        release_date=release,
        expected_release_date=release,
        handover_deadline=None,
        received_at=None,
        status=ReleasedPerson.Status.AWAITING_HANDOVER,
    )
    person.refresh_from_db()
    # The steps follow the (new) release date: deadlines move, what was done stays done.
    HandoverStep.objects.filter(released_person=person, done_at__isnull=True).delete()
    return person


def load_demo_resettlement() -> str:
    """The first released persons of the first offices (the supervision demo's) are taken through
    the steps, one at each; the step that ran late raises its alert."""
    today = timezone.localdate()
    now = timezone.now()
    people = 0
    candidates = list(
        ReleasedPerson.objects.filter(source=ReleasedPerson.Source.PRISON_NOTICE, from_subject__isnull=True)
        .select_related("office")
        .order_by("office__code", "pk")
    )
    per_office: dict[int, list[ReleasedPerson]] = {}
    for person in candidates:
        per_office.setdefault(person.office_id, []).append(person)
    # A person at each step in the first offices that have enough people; in a small county, one
    # person at each step in all.
    full = [group[:PER_OFFICE] for group in per_office.values() if len(group) >= PER_OFFICE][:OFFICES]
    chosen = [p for group in full for p in group] if full else candidates[:PER_OFFICE]
    for number, person in enumerate(chosen):
        _label, days, done = STAGES[number % len(STAGES)]
        officer = person.office.staff.filter(role="officer").order_by("pk").first()
        person = _at_stage(person, days, today)
        people += 1
        steps = {s.step: s for s in open_handover(person, officer)}
        for step in done:
            record = steps[step]
            if record.done_at is not None:
                continue
            at = min(record.deadline - dt.timedelta(hours=2), now)
            HandoverStep.objects.filter(pk=record.pk).update(
                done_at=at,
                place="山东省潍北监狱大门" if step == Step.MET_AT_GATE else person.office.name,
                people=f"{officer.get_full_name() if officer else ''}、家属、村干部",
                recorded_by=officer,
                recorded_at=now,
            )
        if Step.DELIVERED_HOME in done:
            ReleasedPerson.objects.filter(pk=person.pk).update(
                received_at=now - dt.timedelta(days=5), status=ReleasedPerson.Status.RECEIVED
            )
            team = AssistanceTeam.objects.filter(released_person=person).first() or create_team(
                person, person.release_date
            )
            for name, role in (
                ("王村主任", "cadre"),
                ("家属李某", "family"),
                ("张警官", "police"),
                ("志愿者赵某", "volunteer"),
            ):
                TeamMember.objects.get_or_create(
                    team=team, name=name, role=role, defaults={"joined_on": person.release_date}
                )
            Visit.objects.get_or_create(
                released_person=person,
                visited_on=today - dt.timedelta(days=1),
                defaults={
                    "place": person.home_address,
                    "visitors": "王村主任、张警官",
                    "notes": "情绪稳定，已联系就业岗位。",
                    "recorded_by": officer,
                },
            )
            SafetyScreening.objects.get_or_create(
                released_person=person,
                year=today.year,
                quarter=(today.month - 1) // 3 + 1,
                defaults={"hazard": "low", "incidents": 0, "screened_on": today, "recorded_by": officer},
            )
    alerts = check_deadlines()
    return f"{people} key persons taken through the steps, {alerts} new alerts"
