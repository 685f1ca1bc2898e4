"""A year of 营商服务 in the demo county: law firms and their lawyers (units of kind law_firm),
inspections, the annual assessment, a few sanctions (one vetoing), advisers hired, the expert
pools, lawyers' visits to park enterprises, and the certificate review under way."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from backend.bureau.models import Unit
from backend.business import services
from backend.business.models import (
    AnnualAssessment,
    CertificateRequirement,
    EnterpriseVisit,
    Expert,
    FirmInspection,
    LawFirm,
    Lawyer,
)

FIRMS = [
    "山东荣海律师事务所",
    "山东成山律师事务所",
    "山东石岛湾律师事务所",
    "山东远洋律师事务所",
    "山东鸿正律师事务所",
    "山东信诚律师事务所",
]
ENTERPRISES = [
    "荣成海洋食品有限公司",
    "威海远遥船舶修造有限公司",
    "荣成数字经济产业园科技公司",
    "石岛湾新能源有限公司",
    "荣成康养旅游有限公司",
    "好当家水产有限公司",
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
SERVICES = [
    ("户籍", "无犯罪记录证明"),
    ("社会保障", "居住证明"),
    ("市场主体登记", "场地使用证明"),
    ("不动产登记", "亲属关系证明"),
    ("医疗报销", "低保证明"),
    ("渔船登记", "渔民身份证明"),
    ("教育入学", "租房证明"),
    ("残疾人补贴", "收入证明"),
]


def _name(rnd: random.Random) -> str:
    return rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2))))


@transaction.atomic
def load() -> str:
    if LawFirm.objects.exists():
        return "legal services for business already loaded"
    rnd = random.Random(2024)
    today = timezone.localdate()
    year = today.year
    firms, lawyers = [], []
    for n, name in enumerate(FIRMS, start=1):
        unit, _ = Unit.objects.update_or_create(
            code=f"firm-{n}", defaults={"name": name, "kind": Unit.Kind.LAW_FIRM}
        )
        firm = LawFirm.objects.create(
            unit=unit,
            license_no=f"2371082{n:04d}",
            director=_name(rnd),
            rating=rnd.choice("AAB"),
            recruited=n > 4,
        )
        firms.append(firm)
        for k in range(rnd.randint(6, 18)):
            lawyers.append(
                Lawyer.objects.create(
                    firm=firm,
                    name=_name(rnd),
                    license_no=f"1371082{n:02d}{k:03d}",
                    phone=f"139{rnd.randrange(10**7, 10**8)}",
                    specialties=rnd.choice(["海事海商", "公司法务", "劳动争议", "行政诉讼"]),
                )
            )
    for firm in firms:
        FirmInspection.objects.create(
            firm=firm,
            inspected_on=dt.date(year, rnd.randint(3, 10), rnd.randint(1, 28)),
            result=rnd.choice(["compliant", "compliant", "issues"]),
            findings="",
        )
        AnnualAssessment.objects.create(
            firm=firm, year=year - 1, result=rnd.choice(["pass", "pass", "basic"])
        )
    services.decide_sanction(
        firm=firms[2],
        lawyer=lawyers[-1] if lawyers[-1].firm == firms[2] else None,
        kind="warning_talk",
        decided_on=dt.date(year, 4, 12),
        reason="执业活动中存在不规范收费问题",
    )
    vetoed = next(lawyer for lawyer in lawyers if lawyer.firm == firms[1])
    services.decide_sanction(
        firm=firms[1],
        lawyer=vetoed,
        kind="downgrade",
        decided_on=dt.date(year, 6, 3),
        reason="违规代理利益冲突案件",
    )
    towns_and_depts = list(Unit.objects.filter(kind__in=[Unit.Kind.DEPARTMENT, Unit.Kind.TOWN]))
    villages = list(Unit.objects.filter(kind=Unit.Kind.VILLAGE)[:20])
    hirable = [lawyer for lawyer in lawyers if lawyer != vetoed]
    hired = 0
    for unit in [*towns_and_depts, *villages]:
        kind = "village" if unit.kind == Unit.Kind.VILLAGE else "government"
        services.hire_adviser(
            unit=unit,
            lawyer=rnd.choice(hirable),
            kind=kind,
            starts_on=dt.date(year, 1, 1),
            ends_on=dt.date(year, 12, 31),
        )
        hired += 1
    for pool, organisation, field in [
        ("maritime", "大连海事大学", "海损事故处理"),
        ("maritime", "青岛蔚蓝海洋经济法律服务研究院", "海事侵权"),
        ("maritime", "威海海事海商法研究中心", "船员劳务"),
        ("industry", "山东政法学院", "产业链合规"),
        ("taskforce", "烟台大学", "政府涉法事务"),
    ]:
        for _ in range(3):
            Expert.objects.create(pool=pool, name=_name(rnd), organisation=organisation, field=field)
    enterprises = [
        Unit.objects.update_or_create(code=f"ent-{n}", defaults={"name": name, "kind": Unit.Kind.ENTERPRISE})[
            0
        ]
        for n, name in enumerate(ENTERPRISES, start=1)
    ]
    days = (today - dt.date(year, 1, 1)).days
    for _ in range(48):
        EnterpriseVisit.objects.create(
            enterprise=rnd.choice(enterprises),
            firm=rnd.choice(firms),
            visited_on=dt.date(year, 1, 1) + dt.timedelta(days=rnd.randrange(days)),
            service=rnd.choice(["project", "policy", "review", "labour"]),
            issues="企业提出的法律问题",
            outcome=rnd.choices(["resolved", "follow_up", "referred"], weights=[6, 3, 1])[0],
            online=rnd.random() < 0.4,
        )
    departments = [u for u in towns_and_depts if u.kind == Unit.Kind.DEPARTMENT]
    for service_item, certificate in SERVICES:
        for unit in rnd.sample(departments, 2):
            decision = rnd.choices(["pending", "kept", "cancelled", "commitment"], weights=[2, 2, 4, 3])[0]
            CertificateRequirement.objects.create(
                unit=unit,
                service_item=service_item,
                certificate=certificate,
                decision=decision,
                legal_basis="《中华人民共和国行政许可法》第三十一条" if decision == "kept" else "",
                progress="reviewing" if decision == "pending" else rnd.choice(["decided", "implemented"]),
                decided_on=None if decision == "pending" else dt.date(year, rnd.randint(1, today.month), 1),
            )
    return f"{len(firms)} law firms, {len(lawyers)} lawyers, {hired} advisers hired, 48 enterprise visits"
