"""A year of 依法行政 in the demo county: ~1,300 enforcement officers and their study hours, an
ability test drawn and published, litigation cases, legality reviews, the quarterly contract
catalogues (a few units miss one and get a notice), two half-years of rule-of-law inspections."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from backend.bureau.demo import DEPARTMENTS
from backend.bureau.models import RectificationItem, Unit, UnitReturn
from backend.lawadmin import services
from backend.lawadmin.models import (
    AbilityTest,
    CaseFileReview,
    ContractCatalogue,
    ContractSelfCheck,
    EnforcementOfficer,
    FirstOffenceReturn,
    HearingAttendance,
    InspectionPlan,
    InspectionRubric,
    LegalityReview,
    LitigationCase,
    MockTrialScript,
    RiskConference,
    RubricItem,
    RuleOfLawInspection,
    SocialSupervisor,
    StudyRecord,
)
from backend.lawadmin.services.legality import last_quarters_due

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰海波宁斌浩"
TOPICS = [
    "行政处罚法专题",
    "行政许可法解读",
    "执法全过程记录",
    "重大执法决定法制审核",
    "行政执法公示",
    "本领域业务规范",
]
COURTS = ["荣成市人民法院", "威海市中级人民法院", "文登区人民法院"]
CAUSES = ["行政处罚", "行政强制", "行政许可", "政府信息公开", "行政赔偿", "不履行法定职责"]
ENTERPRISES = [
    "荣成海洋食品有限公司",
    "威海远遥船舶修造有限公司",
    "荣成数字经济产业园科技公司",
    "石岛湾新能源有限公司",
]
RUBRIC = [
    ("学习贯彻习近平法治思想", 20),
    ("党政主要负责人履行法治建设第一责任人职责", 20),
    ("行政规范性文件管理", 15),
    ("行政执法案卷质量", 25),
    ("法治政府建设台账记录", 20),
]
OFFICERS_PER_DEPARTMENT = (60, 130)


def _name(rnd: random.Random) -> str:
    return rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2))))


@transaction.atomic
def load() -> str:
    if EnforcementOfficer.objects.exists():
        return "law-based administration already loaded"
    rnd = random.Random(2023)
    today = timezone.localdate()
    year = today.year
    departments = {u.code: u for u in Unit.objects.filter(kind=Unit.Kind.DEPARTMENT)}
    towns = list(Unit.objects.filter(kind=Unit.Kind.TOWN))
    officers: list[EnforcementOfficer] = []
    for code, _unit_name, field in DEPARTMENTS:
        unit = departments.get(f"dept-{code}")
        if unit is None:
            continue
        for _n in range(rnd.randint(*OFFICERS_PER_DEPARTMENT)):
            officers.append(
                EnforcementOfficer(
                    unit=unit, name=_name(rnd), certificate_no=f"37108{len(officers):05d}", field=field
                )
            )
    officers = EnforcementOfficer.objects.bulk_create(officers)
    # Study hours through the year: most officers on track, some behind.
    studies = []
    days = (today - dt.date(year, 1, 1)).days
    for officer in officers:
        diligence = rnd.random()
        for _ in range(int(4 + diligence * 14)):
            studies.append(
                StudyRecord(
                    officer=officer,
                    date=dt.date(year, 1, 1) + dt.timedelta(days=rnd.randrange(days)),
                    hours=Decimal(rnd.choice((2, 3, 4, 4, 6, 8))),
                    topic=rnd.choice(TOPICS),
                )
            )
    StudyRecord.objects.bulk_create(studies, batch_size=2000)
    test = AbilityTest.objects.create(
        year=year, title=f"{year}年行政执法能力测试", held_on=dt.date(year, 9, 20)
    )
    services.draw_sample(test, seed=20230920)
    services.record_scores(test, {e.pk: Decimal(rnd.randint(55, 99)) for e in test.entries.all()})
    services.publish_results(test)
    for n in range(8):
        HearingAttendance.objects.create(
            unit=rnd.choice(list(departments.values())),
            held_on=dt.date(year, 1 + n, rnd.randint(1, 28)),
            court=COURTS[0],
            case_number=f"({year})鲁1082行初{10 + n}号",
            attendees=rnd.randint(8, 40),
            leader_attended=rnd.random() < 0.7,
        )
    units = [*departments.values(), *towns]
    cases = 0
    for n in range(42):
        served = dt.date(year, 1, 1) + dt.timedelta(days=rnd.randrange(max(days - 10, 1)))
        reported = served + dt.timedelta(days=rnd.choice((1, 2, 3, 4, 5, 5, 8, 12)))
        outcome = rnd.choices(
            ["pending", "won", "lost", "withdrawn", "settled"], weights=[30, 45, 10, 10, 5]
        )[0]
        decided = served + dt.timedelta(days=rnd.randint(40, 120)) if outcome in ("won", "lost") else None
        if decided is not None and decided > today:
            outcome, decided = "pending", None
        LitigationCase.objects.create(
            unit=rnd.choice(units),
            case_number=f"({year})鲁1082行初{100 + n}号",
            court=rnd.choice(COURTS),
            cause=rnd.choice(CAUSES),
            plaintiff=_name(rnd),
            served_on=served,
            reported_on=min(reported, today),
            stage="closed" if decided else "first",
            outcome=outcome,
            decided_on=decided,
            is_key=n % 9 == 0,
            key_reason="涉及重大项目征收" if n % 9 == 0 else "",
        )
        cases += 1
    for n in range(60):
        received = dt.date(year, 1, 1) + dt.timedelta(days=rnd.randrange(days))
        LegalityReview.objects.create(
            unit=rnd.choice(units),
            kind=rnd.choices(["normative", "decision", "contract"], weights=[2, 1, 6])[0],
            title=rnd.choice(["招商引资合作协议", "项目建设合同", "行政规范性文件", "重大行政决策方案"])
            + f"第{n + 1}号",
            received_on=received,
            reviewed_on=min(received + dt.timedelta(days=rnd.randint(2, 10)), today),
            opinion=rnd.choices(["legal", "amend", "illegal"], weights=[6, 3, 1])[0],
        )
    notices = 0
    # The last four quarters past due (last year's too, early in the year): most units filed on
    # time; one in turn and a few by chance did not, and get a notice (whatever the date).
    for n, (filed_year, quarter) in enumerate(last_quarters_due(today)):
        late = units[n % len(units)]
        for unit in units:
            if unit is late or rnd.random() < 0.08:
                continue  # missed: a notice follows
            contracts = rnd.randint(0, 25)
            ContractCatalogue.objects.create(
                unit=unit,
                year=filed_year,
                quarter=quarter,
                contracts=contracts,
                reviewed=contracts,
                status=UnitReturn.Status.ACCEPTED,
                submitted_at=timezone.now(),
            )
        notices += len(services.issue_compliance_notices(filed_year, quarter, today=today))
    for half in (1, 2):
        rubric = InspectionRubric.objects.create(
            year=year, half=half, title=f"{year}年{'上' if half == 1 else '下'}半年法治督察"
        )
        items = RubricItem.objects.bulk_create(
            RubricItem(rubric=rubric, title=t, weight=w) for t, w in RUBRIC
        )
        for unit in units:
            day = dt.date(year, 6 if half == 1 else 11, rnd.randint(1, 28))
            if day > today or rnd.random() < 0.1:
                continue
            inspection = RuleOfLawInspection.objects.create(
                rubric=rubric, unit=unit, inspected_on=day, inspectors="法治督察组"
            )
            services.score_inspection(inspection, {item.pk: Decimal(rnd.randint(60, 100)) for item in items})
            if rnd.random() < 0.3:
                item = services.add_finding(
                    inspection, finding="行政执法案卷存在文书不规范问题", deadline=day + dt.timedelta(days=30)
                )
                if item.deadline < today and rnd.random() < 0.7:
                    item.status = RectificationItem.Status.CLOSED
                    item.evidence_note = "已组织案卷整改并培训"
                    item.save()
    saved = _enforcement(rnd, year, today, list(departments.values()))
    return f"{saved}; {len(officers)} enforcement officers, {len(studies)} study records, {cases} litigation cases, {notices} compliance notices"


def _enforcement(rnd: random.Random, year: int, today: dt.date, departments: list[Unit]) -> str:
    """Inspection plans merged into joint inspections, monthly first-offence returns, a cross-review."""
    enterprises = [
        Unit.objects.update_or_create(code=f"ent-{n}", defaults={"name": name, "kind": Unit.Kind.ENTERPRISE})[
            0
        ]
        for n, name in enumerate(ENTERPRISES, start=1)
    ]
    days = (today - dt.date(year, 1, 1)).days
    for _ in range(90):
        InspectionPlan.objects.create(
            unit=rnd.choice(departments[:8]),
            enterprise=rnd.choice(enterprises),
            planned_on=dt.date(year, 1, 1) + dt.timedelta(days=rnd.randrange(days)),
            matters=rnd.choice(
                ["安全生产检查", "食品安全抽检", "消防设施检查", "环保设施运行", "劳动用工检查"]
            ),
            status=UnitReturn.Status.ACCEPTED,
        )
    services.merge_joint_inspections(dt.date(year, 1, 1), today, window_days=14)
    for unit in departments:
        for month in range(1, today.month):
            FirstOffenceReturn.objects.create(
                unit=unit,
                year=year,
                month=month,
                no_penalty=rnd.randint(0, 6),
                light_penalty=rnd.randint(0, 4),
                status=UnitReturn.Status.ACCEPTED,
            )
    supervisors = [
        SocialSupervisor.objects.create(name=_name(rnd), background=background)
        for background in ("entrepreneur", "entrepreneur", "lawyer", "deputy", "committee")
    ]
    review = CaseFileReview.objects.create(
        year=year, title=f"{year}年行政执法案卷交叉评查", held_on=dt.date(year, 8, 15)
    )
    if len(departments) >= 2:
        for assignment in services.assign_cross_review(review, departments, seed=20230815):
            services.record_assessment(
                assignment,
                files=rnd.randint(5, 20),
                score=Decimal(rnd.randint(70, 98)),
                findings="",
                supervisors=rnd.sample(supervisors, 2),
            )
    _contracts(rnd, year, today, departments)
    saved = services.visits_saved(InspectionPlan.objects.filter(planned_on__year=year))
    return f"{saved.joint_inspections} joint inspections saved {saved.visits_saved} visits"


def _contracts(rnd: random.Random, year: int, today: dt.date, departments: list[Unit]) -> None:
    """Two risk conferences, the units' contract self-checks with a few risky contracts, scripts."""
    for month, topic in ((3, "征收补偿协议履行中的复议风险"), (9, "招商引资项目合同历史遗留问题")):
        conference = RiskConference.objects.create(
            held_on=dt.date(year, month, 20),
            topic=topic,
            participants="行政复议委员会成员、政府法律顾问、公职律师",
            opinion="由相关部门依法协商解决,司法局跟踪督导",
        )
        conference.units.set(rnd.sample(departments, min(3, len(departments))))
    for unit in departments:
        check = ContractSelfCheck.objects.create(unit=unit, year=year, contracts_checked=rnd.randint(10, 60))
        if rnd.random() < 0.3:
            services.flag_risky_contract(
                check,
                title="项目建设合同",
                counterparty="某建设公司",
                risk="未经合法性审查即签订",
                plan="补充合法性审查,签订补充协议",
                deadline=min(dt.date(year, 12, 31), today + dt.timedelta(days=30)),
            )
        check.status = UnitReturn.Status.ACCEPTED
        check.save(update_fields=["status"])
    for n, unit in enumerate(departments[:6]):
        MockTrialScript.objects.create(
            unit=unit,
            year=year,
            title=f"{unit.name}行政处罚案庭审剧本",
            submitted_on=dt.date(year, 5, 10 + n),
            score=Decimal(rnd.randint(75, 96)),
            award=["first", "second", "second", "third", "third", ""][n],
        )
