"""Mediation in the demo county: centres in most towns (so coverage is not yet 100 %), mediators
(a little under half full-time), bodies, a year of disputes with sessions, expert orders and the
rule table."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from backend.bureau.models import Unit
from backend.mediation import services
from backend.mediation.models import (
    CreditRule,
    Dispute,
    DisputeKind,
    DisputeSession,
    MediationBody,
    MediationCentre,
    Mediator,
)

NAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱"]
GIVEN = ["秀兰", "建军", "海涛", "丽娟", "志强", "红梅", "国庆", "玉珍", "明", "静"]
SUMMARIES = {
    DisputeKind.NEIGHBOUR: "宅基地滴水檐纠纷",
    DisputeKind.FAMILY: "赡养老人费用分担",
    DisputeKind.PROPERTY: "物业费与漏水维修",
    DisputeKind.LABOUR: "拖欠务工人员工资",
    DisputeKind.TRAFFIC: "电动车与行人碰撞赔偿",
    DisputeKind.MEDICAL: "术后并发症赔偿",
    DisputeKind.FISHERY: "渔船碰撞及渔具损失",
    DisputeKind.CONTRACT: "民间借贷逾期未还",
    DisputeKind.LAND: "土地承包经营权边界",
    DisputeKind.OTHER: "邻里口角引发损害",
}
# (kind or "" for any, outcome, points, subsidy, deduction): the county's rule table.
RULES = [
    ("", "resolved", 2, 50, 0),
    ("", "failed", 0.5, 20, 0),
    ("", "escalated", -2, 0, 2),
    (DisputeKind.MEDICAL, "resolved", 5, 200, 0),
    (DisputeKind.FISHERY, "resolved", 4, 150, 0),
    (DisputeKind.LABOUR, "resolved", 3, 100, 0),
    (DisputeKind.LABOUR, "escalated", -3, 0, 3),
]


def _name(rnd: random.Random) -> str:
    return rnd.choice(NAMES) + rnd.choice(GIVEN)


@transaction.atomic
def load() -> str:
    if Mediator.objects.exists():
        return f"{Dispute.objects.count()} disputes already there"
    rnd = random.Random(2023)
    today = timezone.localdate()
    towns = list(Unit.objects.filter(kind=Unit.Kind.TOWN))
    departments = list(Unit.objects.filter(kind=Unit.Kind.DEPARTMENT))
    if not towns:
        return "no towns (load the bureau's units first)"
    for kind, outcome, points, subsidy, deduction in RULES:
        CreditRule.objects.create(
            kind=kind, outcome=outcome, points=Decimal(str(points)), subsidy=subsidy, deduction=deduction
        )
    city = departments[0] if departments else towns[0]
    MediationCentre.objects.create(
        unit=city,
        level=MediationCentre.Level.CITY,
        name="市矛盾纠纷调解中心",
        meets_standard=True,
        opened_on=dt.date(today.year - 1, 6, 1),
        resident_bodies="人民调解委员会、信访、法律援助",
    )
    for town in towns[: max(1, len(towns) - 2)]:  # two towns still building theirs
        MediationCentre.objects.create(
            unit=town,
            level=MediationCentre.Level.TOWN,
            name=f"{town.name}矛盾纠纷调解中心",
            meets_standard=rnd.random() < 0.7,
            opened_on=today - dt.timedelta(days=rnd.randint(30, 400)),
        )
    mediators: list[Mediator] = []
    for town in towns:
        for _ in range(rnd.randint(4, 7)):
            mediators.append(
                Mediator.objects.create(
                    unit=town,
                    name=_name(rnd),
                    full_time=rnd.random() < 0.45,
                    background=rnd.choice(Mediator.Background.values),
                )
            )
    experts = [
        Mediator.objects.create(
            unit=city,
            name=_name(rnd),
            full_time=True,
            background=Mediator.Background.LAWYER,
            is_expert=True,
            expert_field=field,
        )
        for field in [DisputeKind.MEDICAL, DisputeKind.FISHERY, DisputeKind.FISHERY, DisputeKind.LABOUR]
    ]
    star = mediators[0]
    star.brand_room = f"{star.name}调解工作室"
    star.save(update_fields=["brand_room"])
    MediationBody.objects.create(
        unit=star.unit, name=star.brand_room, kind=MediationBody.Kind.BRAND_ROOM, lead=star, is_model=True
    )
    for field, label in [
        (DisputeKind.FISHERY, "渔业纠纷"),
        (DisputeKind.PROPERTY, "物业纠纷"),
        (DisputeKind.MEDICAL, "医疗纠纷"),
    ]:
        MediationBody.objects.create(
            unit=city, name=f"{label}人民调解委员会", kind=MediationBody.Kind.INDUSTRY, field=field
        )
    disputes = 0
    day = dt.date(today.year, 1, 1)
    while day <= today:
        for _ in range(rnd.randint(0, 4)):
            town = rnd.choice(towns)
            kind = rnd.choice(DisputeKind.values)
            local = [m for m in mediators if m.unit_id == town.pk]
            mediator = rnd.choice(local)
            dispute = Dispute.objects.create(
                unit=town,
                received_on=day,
                kind=kind,
                summary=SUMMARIES[DisputeKind(kind)],
                parties=[
                    {"name": _name(rnd), "role": "applicant"},
                    {"name": _name(rnd), "role": "respondent"},
                ],
                mediator=mediator,
            )
            disputes += 1
            age = (today - day).days
            if age > 3:
                DisputeSession.objects.create(
                    dispute=dispute, held_on=day + dt.timedelta(days=1), mediator=mediator, notes="首次调解"
                )
                dispute.status = Dispute.Status.MEDIATING
                dispute.save(update_fields=["status"])
            if kind in (DisputeKind.MEDICAL, DisputeKind.FISHERY, DisputeKind.LABOUR) and rnd.random() < 0.3:
                request = services.order_expert(dispute)
                if age > 10 and request.expert is not None:
                    services.complete_expert_request(
                        request, resolved=True, outcome="专家参与调解，双方达成协议"
                    )
            if age > 10:
                outcome = rnd.choices(
                    [Dispute.Status.RESOLVED, Dispute.Status.FAILED, Dispute.Status.ESCALATED], [90, 7, 3]
                )[0]
                services.close_dispute(
                    dispute,
                    status=outcome,
                    outcome="达成调解协议" if outcome == "resolved" else "引导诉讼",
                    closed_on=min(today, day + dt.timedelta(days=rnd.randint(2, 10))),
                )
        day += dt.timedelta(days=1)
    return f"{len(mediators) + len(experts)} mediators, {disputes} disputes, {len(towns) - 2} town centres"
