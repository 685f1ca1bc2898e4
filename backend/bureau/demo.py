"""The demo county's units: departments, towns (each linked to its justice office), villages, and
the town reporter ``tianbao``. Law firms and enterprises come with the modules that keep them."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from backend.accounts.models import Office, Role, User
from backend.bureau import services
from backend.bureau.indicators import ensure_indicators
from backend.bureau.models import RectificationItem, Unit

# (code, name, enforcement field) — the departments that enforce law in the county.
DEPARTMENTS = [
    ("scjg", "市场监督管理局", "market"),
    ("yjgl", "应急管理局", "safety"),
    ("zrzy", "自然资源局", "land"),
    ("zhzf", "综合行政执法局", "urban"),
    ("sthj", "生态环境分局", "environment"),
    ("jtys", "交通运输局", "transport"),
    ("nync", "农业农村局", "agriculture"),
    ("hyfz", "海洋发展局", "fishery"),
    ("wsjk", "卫生健康局", "health"),
    ("rlzy", "人力资源和社会保障局", "labour"),
    ("zjj", "住房和城乡建设局", "construction"),
    ("jyj", "教育和体育局", "education"),
    ("swj", "税务局", "tax"),
    ("gaj", "公安局", "public_security"),
]
# Town (or street) names of the demo offices, by office code.
TOWNS = {
    "chengqu": "城区街道",
    "yatou": "崖头街道",
    "gangwan": "港湾街道",
    "chishan": "斥山街道",
    "ningjin": "宁津街道",
    "lidao": "俚岛镇",
    "chengshan": "成山镇",
    "buliu": "埠柳镇",
    "gangxi": "港西镇",
    "xiazhuang": "夏庄镇",
    "laoshan": "崂山街道",
    "yinzi": "荫子镇",
}
VILLAGES = ["东村", "西村", "南庄", "北庄", "海湾社区"]
DEMO_REPORTER_TOWN = "chengqu"


def load_units() -> str:
    for code, name, _field in DEPARTMENTS:
        Unit.objects.update_or_create(
            code=f"dept-{code}", defaults={"name": name, "kind": Unit.Kind.DEPARTMENT}
        )
    towns = 0
    for office in Office.objects.filter(kind=Office.Kind.OFFICE, code__in=TOWNS):
        town, _ = Unit.objects.update_or_create(
            code=f"town-{office.code}",
            defaults={"name": TOWNS[office.code], "kind": Unit.Kind.TOWN, "office": office},
        )
        towns += 1
        for n, village in enumerate(VILLAGES, start=1):
            Unit.objects.update_or_create(
                code=f"village-{office.code}-{n}",
                defaults={"name": f"{town.name}{village}", "kind": Unit.Kind.VILLAGE, "parent": town},
            )
    reporter = User.objects.filter(username="tianbao", role=Role.REPORTER).first()
    reporter_town = Unit.objects.filter(code=f"town-{DEMO_REPORTER_TOWN}").first()
    if reporter is not None and reporter_town is not None:
        services.link_reporter(reporter, reporter_town)
    today = timezone.localdate()
    ensure_indicators(today.year)
    if reporter_town is not None and not RectificationItem.objects.filter(unit=reporter_town).exists():
        services.open_rectification(
            unit=reporter_town,
            finding="村规民约未经合法性审查即公布",
            requirement="补充审查并重新公布",
            deadline=today - dt.timedelta(days=10),
        )
    return f"{len(DEPARTMENTS)} departments, {towns} towns with their villages; tianbao reports for {reporter_town}"
