"""A year and a half of publicity in the demo county: last year's events (the base of the +20 %),
this year's to date, volunteers, trained villagers and two demonstration-village applications."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from backend.bureau.models import Unit
from backend.publicity.models import Activity, DemonstrationVillage, TrainedVillager, Volunteer

TOPICS = [
    "防范电信网络诈骗",
    "金融风险防范",
    "渔船管控与海上安全",
    "安全生产法宣讲",
    "民法典进村居",
    "文明城市创建与法治",
    "反家庭暴力法",
    "宪法宣传周",
    "未成年人保护法",
    "《荣律师说法》案例视频",
]
PLACES = ["村委会广场", "镇文化站", "集市", "渔港码头", "社区服务中心", "中心小学"]
NAMES = ["王建国", "李秀英", "张伟", "刘洋", "陈静", "杨帆", "赵敏", "孙强", "周丽", "吴刚"]


@transaction.atomic
def load() -> str:
    if Activity.objects.exists():
        return f"{Activity.objects.count()} activities already there"
    rnd = random.Random(2023)
    today = timezone.localdate()
    units = list(Unit.objects.filter(kind__in=[Unit.Kind.TOWN, Unit.Kind.DEPARTMENT], is_active=True))
    if not units:
        return "no units (load the bureau's units first)"
    villages = list(Unit.objects.filter(kind=Unit.Kind.VILLAGE))
    volunteers = [
        Volunteer(
            unit=rnd.choice(units),
            name=f"{rnd.choice(NAMES)}{n}",
            background=rnd.choice(Volunteer.Background.values),
            joined_on=today - dt.timedelta(days=rnd.randint(30, 700)),
        )
        for n in range(60)
    ]
    Volunteer.objects.bulk_create(volunteers)
    activities = []
    start = dt.date(today.year - 1, 1, 1)
    day = start
    # About 3,800 events last year; this year some 14 % ahead of it, short of the plan's +20 %.
    while day <= today:
        per_day = rnd.choice([10, 11, 12, 13, 14]) if day.year == today.year else rnd.choice([9, 10, 11, 12])
        for _ in range(per_day):
            unit = rnd.choice(units)
            old = (today - day).days > 20
            status = (
                Activity.Status.ACCEPTED
                if old or rnd.random() < 0.5
                else rnd.choice([Activity.Status.SUBMITTED, Activity.Status.DRAFT])
            )
            activities.append(
                Activity(
                    unit=unit,
                    held_on=day,
                    kind=rnd.choice(Activity.Kind.values),
                    topic=rnd.choice(TOPICS),
                    audience=rnd.randint(15, 400),
                    place=rnd.choice(PLACES),
                    status=status,
                )
            )
        day += dt.timedelta(days=1)
    Activity.objects.bulk_create(activities, batch_size=2000)
    TrainedVillager.objects.bulk_create(
        TrainedVillager(
            unit=rnd.choice(villages or units),
            kind=rnd.choice(TrainedVillager.Kind.values),
            name=f"{rnd.choice(NAMES)}{n}",
            trained_on=today - dt.timedelta(days=rnd.randint(1, 300)),
            hours=rnd.choice([8, 12, 16, 24]),
        )
        for n in range(120)
    )
    for village, level, stage in zip(
        villages[:2],
        [DemonstrationVillage.Level.NATIONAL, DemonstrationVillage.Level.PROVINCIAL],
        [DemonstrationVillage.Status.SUBMITTED, DemonstrationVillage.Status.PREPARING],
        strict=False,
    ):
        DemonstrationVillage.objects.create(
            unit=village, level=level, year=today.year, batch="第十批", status=stage
        )
    return f"{len(activities)} publicity activities, {len(volunteers)} volunteers, 120 trained villagers"
