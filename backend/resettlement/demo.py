"""Resettlement part of the demo county: key persons at every step of must-receive-must-deliver
(one of them late, so the console shows a resettlement alert), a person whose community
correction ended, assistance teams with members, visits and this quarter's screenings. Idempotent."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from backend.accounts.models import Office
from backend.resettlement.models import AssistanceTeam, HandoverStep, SafetyScreening, Step, TeamMember, Visit
from backend.resettlement.services import check_deadlines, create_team, open_handover
from backend.supervision.identity import check_digit
from backend.supervision.models import ReleasedPerson, Subject
from backend.supervision.services import end_supervision

# (name suffix, days until release, steps done)
STAGES = [
    ("通知已收", 20, [Step.NOTICE]),
    ("已定接送计划", 2, [Step.NOTICE, Step.PICKUP_PLANNED]),
    ("已狱门接回", 0, [Step.NOTICE, Step.PICKUP_PLANNED, Step.MET_AT_GATE]),
    ("已送达", -6, [Step.NOTICE, Step.PICKUP_PLANNED, Step.MET_AT_GATE, Step.DELIVERED_HOME]),
    ("未按时接回", -2, [Step.NOTICE, Step.PICKUP_PLANNED]),
]
OFFICES = 3


def _id_number(office_index: int, stage: int) -> str:
    first17 = f"37108219800101{office_index}{stage}9"[:17]
    return first17 + check_digit(first17)


def load_demo_resettlement() -> str:
    today = timezone.localdate()
    now = timezone.now()
    people = 0
    offices = list(Office.objects.filter(kind=Office.Kind.OFFICE).order_by("code")[:OFFICES])
    for index, office in enumerate(offices):
        officer = office.staff.filter(role="officer").order_by("pk").first()
        lat, lon = 37.17 + index * 0.01, 122.41
        for stage, (label, days, done) in enumerate(STAGES):
            release = today + dt.timedelta(days=days)
            person, _created = ReleasedPerson.objects.get_or_create(
                id_number=_id_number(index, stage),
                defaults={
                    "office": office,
                    "responsible_officer": officer,
                    "name": f"演示{label}{index + 1}",
                    "gender": "male",
                    "home_address": f"{office.name}辖区演示村{stage + 1}号",
                    "home_lat": lat,
                    "home_lon": lon,
                    "crime": "盗窃罪",
                    "prison": "山东省潍北监狱",
                    "release_date": release,
                    "expected_release_date": release,
                    "is_key_person": True,
                    "source": ReleasedPerson.Source.PRISON_NOTICE,
                },
            )
            people += 1
            steps = {s.step: s for s in open_handover(person, officer)}
            for step in done:
                record = steps[step]
                if record.done_at is not None:
                    continue
                at = min(record.deadline - dt.timedelta(hours=2), now)
                HandoverStep.objects.filter(pk=record.pk).update(
                    done_at=at,
                    place="山东省潍北监狱大门" if step == Step.MET_AT_GATE else office.name,
                    people=f"{officer.get_full_name() if officer else ''}、家属、村干部",
                    recorded_by=officer,
                    recorded_at=now,
                )
            if Step.DELIVERED_HOME in done and person.received_at is None:
                person.received_at = now - dt.timedelta(days=5)
                person.status = ReleasedPerson.Status.RECEIVED
                person.save(update_fields=["received_at", "status", "updated_at"])
            if (
                Step.DELIVERED_HOME in done
                and not AssistanceTeam.objects.filter(released_person=person).exists()
            ):
                team = create_team(person, release)
                for name, role in (
                    ("王村主任", "cadre"),
                    ("家属李某", "family"),
                    ("张警官", "police"),
                    ("志愿者赵某", "volunteer"),
                ):
                    TeamMember.objects.create(team=team, name=name, role=role, joined_on=release)
                Visit.objects.create(
                    released_person=person,
                    visited_on=today - dt.timedelta(days=1),
                    place=person.home_address,
                    visitors="王村主任、张警官",
                    notes="情绪稳定，已联系就业岗位。",
                    recorded_by=officer,
                )
                SafetyScreening.objects.get_or_create(
                    released_person=person,
                    year=today.year,
                    quarter=(today.month - 1) // 3 + 1,
                    defaults={"hazard": "low", "incidents": 0, "screened_on": today, "recorded_by": officer},
                )
    # A subject whose community correction ends becomes a released person (through the signal).
    ending = (
        Subject.objects.filter(status=Subject.Status.IN_SUPERVISION, supervision_end__lt=today)
        .order_by("pk")
        .first()
    )
    if ending is not None:
        end_supervision(ending)
    alerts = check_deadlines()
    return f"{people} key persons at every step, {alerts} new alerts"
