"""The demo county: a bureau, 12 township offices tiling a county around lon 122.42, lat 37.16,
staff of every role, ~300 corrections subjects and some released persons with homes inside
their office. Deterministic (seeded), so running it twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from shapely.geometry import Point, Polygon, mapping
from shapely.ops import unary_union

from backend.accounts.models import Office, Role, User
from backend.supervision.identity import check_digit
from backend.supervision.models import LevelChange, ReleasedPerson, Subject

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

CENTRE_LON, CENTRE_LAT = 122.42, 37.16
COLS, ROWS = 4, 3
SPAN_LON, SPAN_LAT = 0.48, 0.33  # about 43 km x 37 km at 37°N
REGION_CODE = "371082"

OFFICE_NAMES = [
    ("chengqu", "城区司法所"),
    ("yatou", "崖头司法所"),
    ("gangwan", "港湾司法所"),
    ("chishan", "斥山司法所"),
    ("ningjin", "宁津司法所"),
    ("lidao", "俚岛司法所"),
    ("chengshan", "成山司法所"),
    ("buliu", "埠柳司法所"),
    ("gangxi", "港西司法所"),
    ("xiazhuang", "夏庄司法所"),
    ("laoshan", "崂山司法所"),
    ("yinzi", "荫子司法所"),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰海波鹏飞宇浩然俊凯文博晨阳子轩"
CRIMES = [
    "危险驾驶罪",
    "盗窃罪",
    "故意伤害罪",
    "诈骗罪",
    "交通肇事罪",
    "寻衅滋事罪",
    "开设赌场罪",
    "非法捕捞水产品罪",
    "信用卡诈骗罪",
    "帮助信息网络犯罪活动罪",
    "掩饰、隐瞒犯罪所得罪",
    "非法占用农用地罪",
]
STREETS = [
    "成山大道",
    "青山路",
    "府新路",
    "观海路",
    "南山北路",
    "石岛大道",
    "龙山路",
    "海湾路",
    "东山路",
    "黄海路",
]
VILLAGES = ["东村", "西村", "南庄", "北庄", "王家村", "李家庄", "海埠村", "渔港社区", "山前村", "河口村"]

DEMO_PASSWORDS = {
    Role.SYSADMIN: "Demo-admin-2026",
    Role.BUREAU_HEAD: "Demo-head-2026",
    Role.BUREAU_STAFF: "Demo-bureau-2026",
    Role.AUDITOR: "Demo-audit-2026",
    Role.OFFICE_HEAD: "Demo-office-head-2026",
    Role.OFFICER: "Demo-officer-2026",
    Role.REPORTER: "Demo-reporter-2026",
}


_HASHES: dict[Role, str] = {}


@dataclass
class DemoReport:
    offices: int = 0
    subjects: int = 0
    released: int = 0
    logins: list[tuple[str, str, StrOrPromise, str]] = field(default_factory=list)


def office_polygons(seed: int = 37) -> list[Polygon]:
    """A jittered lattice: neighbouring offices share their borders exactly, with no gaps."""
    rnd = random.Random(seed)
    nx, ny = COLS * 2 + 1, ROWS * 2 + 1
    west, south = CENTRE_LON - SPAN_LON / 2, CENTRE_LAT - SPAN_LAT / 2
    step_x, step_y = SPAN_LON / (nx - 1), SPAN_LAT / (ny - 1)
    lattice: dict[tuple[int, int], tuple[float, float]] = {}
    for i in range(nx):
        for j in range(ny):
            jx = rnd.uniform(-0.3, 0.3) * step_x if 0 < i < nx - 1 else 0.0
            jy = rnd.uniform(-0.3, 0.3) * step_y if 0 < j < ny - 1 else 0.0
            # The coast bites into the east side a little, as it does around Rongcheng.
            coast = -0.25 * step_x * (1 + (j % 3)) if i == nx - 1 else 0.0
            lattice[(i, j)] = (round(west + i * step_x + jx + coast, 6), round(south + j * step_y + jy, 6))
    polygons = []
    for row in range(ROWS):
        for col in range(COLS):
            i0, j0 = col * 2, row * 2
            ring = [
                (i0, j0),
                (i0 + 1, j0),
                (i0 + 2, j0),
                (i0 + 2, j0 + 1),
                (i0 + 2, j0 + 2),
                (i0 + 1, j0 + 2),
                (i0, j0 + 2),
                (i0, j0 + 1),
            ]
            polygons.append(Polygon([lattice[k] for k in ring]))
    return polygons


def _name(rnd: random.Random) -> str:
    return rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2))))


def _id_number(rnd: random.Random, birth: dt.date, male: bool) -> str:
    seq = rnd.randrange(0, 100) * 10 + (rnd.choice((1, 3, 5, 7, 9)) if male else rnd.choice((0, 2, 4, 6, 8)))
    first17 = f"{REGION_CODE}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


def _point_in(polygon: Polygon, rnd: random.Random) -> tuple[float, float]:
    inner = polygon.buffer(-0.004)  # keep homes ~400 m inside the border
    minx, miny, maxx, maxy = inner.bounds
    while True:
        lon, lat = rnd.uniform(minx, maxx), rnd.uniform(miny, maxy)
        if inner.contains(Point(lon, lat)):
            return round(lat, 6), round(lon, 6)


def _staff(username: str, role: Role, name: str, office: Office | None, report: DemoReport) -> User:
    user, _created = User.objects.get_or_create(username=username, defaults={"role": role, "office": office})
    user.role, user.office, user.is_staff = role, office, True
    user.is_superuser = role == Role.SYSADMIN
    user.last_name, user.first_name = name[:1], name[1:]
    # Hash each demo password once: PBKDF2 is deliberately slow, and 28 users share 6 passwords.
    if role not in _HASHES:
        _HASHES[role] = make_password(DEMO_PASSWORDS[role])
    user.password = _HASHES[role]
    user.save()
    report.logins.append((username, DEMO_PASSWORDS[role], role.label, office.name if office else "司法局"))
    return user


@transaction.atomic
def load_demo_county(subjects: int = 300, released: int = 40, seed: int = 2023) -> DemoReport:
    rnd = random.Random(seed)
    report = DemoReport()
    polygons = office_polygons()
    county = unary_union(polygons)
    bureau, _ = Office.objects.update_or_create(
        code="bureau",
        defaults={
            "name": "荣成市司法局",
            "kind": Office.Kind.BUREAU,
            "boundary": mapping(county),
            "address": "荣成市成山大道",
            "phone": "0631-7560000",
        },
    )
    offices = []
    for (code, name), polygon in zip(OFFICE_NAMES, polygons, strict=True):
        office, _ = Office.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": Office.Kind.OFFICE,
                "parent": bureau,
                "boundary": mapping(polygon),
                "phone": f"0631-75{rnd.randrange(10000, 99999)}",
            },
        )
        offices.append(office)
    report.offices = len(offices)

    _staff("admin", Role.SYSADMIN, "系统管理员", None, report)
    _staff("juzhang", Role.BUREAU_HEAD, "刘局长", bureau, report)
    _staff("jukeyuan", Role.BUREAU_STAFF, "陈科员", bureau, report)
    _staff("shenji", Role.AUDITOR, "孙审计", bureau, report)
    # A unit's reporter (a town government's); backend.bureau's demo step links the unit.
    _staff("tianbao", Role.REPORTER, "王填报", None, report)
    officers: dict[int, list[User]] = {}
    for office in offices:
        head = _staff(f"{office.code}_head", Role.OFFICE_HEAD, _name(rnd), office, report)
        officer = _staff(f"{office.code}_officer", Role.OFFICER, _name(rnd), office, report)
        officers[office.pk] = [head, officer]

    today = timezone.localdate()
    for n in range(subjects):
        index = n % len(offices)
        office, polygon = offices[index], polygons[index]
        male = rnd.random() < 0.85
        birth = dt.date(rnd.randrange(1960, 2004), rnd.randrange(1, 13), rnd.randrange(1, 29))
        lat, lon = _point_in(polygon, rnd)
        start = today - dt.timedelta(days=rnd.randrange(10, 700))
        values = {
            "office": office,
            "responsible_officer": rnd.choice(officers[office.pk]),
            "name": _name(rnd),
            "gender": "male" if male else "female",
            "id_number": _id_number(rnd, birth, male),
            "phone": f"13{rnd.randrange(100000000, 999999999)}",
            "home_address": f"荣成市{office.name.removesuffix('司法所')}{rnd.choice(VILLAGES)}{rnd.randrange(1, 200)}号",
            "home_lat": lat,
            "home_lon": lon,
            "sentence_type": rnd.choices([c.value for c in Subject.SentenceType], weights=[3, 80, 12, 5])[0],
            "crime": rnd.choice(CRIMES),
            "supervision_start": start,
            "supervision_end": start + dt.timedelta(days=rnd.randrange(180, 1500)),
        }
        level = rnd.choices([c.value for c in Subject.Level], weights=[15, 65, 20])[0]
        # The level is set when the record is made; afterwards only ``change_level`` moves it
        # (the demo's own changes below included), so a second run leaves it alone.
        Subject.objects.update_or_create(
            case_number=f"(2023)鲁1082刑初{1000 + n}号",
            defaults=values,
            create_defaults={**values, "supervision_level": level},
        )
    report.subjects = Subject.objects.count()

    for n in range(released):
        index = n % len(offices)
        office, polygon = offices[index], polygons[index]
        male = rnd.random() < 0.9
        birth = dt.date(rnd.randrange(1960, 2000), rnd.randrange(1, 13), rnd.randrange(1, 29))
        id_number = _id_number(rnd, birth, male)
        lat, lon = _point_in(polygon, rnd)
        release = today - dt.timedelta(days=rnd.randrange(-10, 1500))
        received = release <= today - dt.timedelta(days=1)
        ReleasedPerson.objects.update_or_create(
            id_number=id_number,
            defaults={
                "office": office,
                "responsible_officer": rnd.choice(officers[office.pk]),
                "name": _name(rnd),
                "gender": "male" if male else "female",
                "home_address": f"荣成市{rnd.choice(STREETS)}{rnd.randrange(1, 300)}号",
                "home_lat": lat,
                "home_lon": lon,
                "crime": rnd.choice(CRIMES),
                "prison": "山东省潍北监狱",
                "release_date": release,
                "resettlement_end": release + dt.timedelta(days=5 * 365),
                "handover_deadline": timezone.make_aware(dt.datetime.combine(release, dt.time(18, 0))),
                "received_at": timezone.make_aware(dt.datetime.combine(release, dt.time(10, 30)))
                if received
                else None,
                "status": ReleasedPerson.Status.IN_RESETTLEMENT
                if received
                else ReleasedPerson.Status.AWAITING_HANDOVER,
                "is_key_person": rnd.random() < 0.15,
            },
        )
    report.released = ReleasedPerson.objects.count()
    return report


# Level changes of the demo: (case number's index, new level, reason).
DEMO_LEVEL_CHANGES = [
    (3, Subject.Level.STRICT, "无正当理由未按时报到，经集体研究调整为严管"),
    (11, Subject.Level.LENIENT, "矫正期间表现良好，遵纪守法，经评估调整为宽管"),
    (27, Subject.Level.STRICT, "多次夜间未在居所，存在脱管风险，调整为严管"),
    (40, Subject.Level.NORMAL, "严管期满，表现稳定，调整为普管"),
    (58, Subject.Level.LENIENT, "积极参加教育学习和公益活动，调整为宽管"),
    (75, Subject.Level.STRICT, "被公安机关治安处罚，调整为严管"),
]


def load_demo_level_changes() -> str:
    """A few subjects moved to another level, with their reasons and their officers as authors.
    Idempotent: a subject who already has a level change is left alone."""
    from backend.supervision.services import change_level

    made = 0
    for index, level, reason in DEMO_LEVEL_CHANGES:
        subject = Subject.objects.filter(
            case_number=f"(2023)鲁1082刑初{1000 + index}号", status=Subject.Status.IN_SUPERVISION
        ).first()
        if subject is None or subject.level_changes.exists():
            continue
        if subject.supervision_level == level:  # the demo's random level already is the target
            level = Subject.Level.NORMAL if level != Subject.Level.NORMAL else Subject.Level.STRICT
        change_level(subject, level, reason, subject.responsible_officer)
        made += 1
    return f"{made} level changes ({LevelChange.objects.count()} in all)"
