"""A year of staff learning in the demo county: monthly classes, weekly lectures (a few weeks
missed), their reviews, and a study trip."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import Role, User
from backend.learning.models import Attendance, LectureReview, StaffLecture, StudyTrip, TrainingClass

CLASS_TOPICS = [
    "行政诉讼应诉实务",
    "行政执法监督要点",
    "社区矫正对象监管",
    "民法典合同编",
    "矛盾纠纷调解技巧",
]
LECTURE_TOPICS = ["电子定位的适用条件", "请假审批流程", "行政复议案件审查", "普法台账规范", "调解协议书写作"]


@transaction.atomic
def load() -> str:
    if StaffLecture.objects.exists():
        return f"{StaffLecture.objects.count()} lectures already there"
    rnd = random.Random(2023)
    today = timezone.localdate()
    staff = list(User.objects.filter(is_active=True).exclude(role__in=[Role.REPORTER, Role.SYSADMIN])[:40])
    leaders = list(User.objects.filter(role=Role.BUREAU_HEAD))
    if not staff:
        return "no staff"
    classes = 0
    for month in range(1, today.month + 1):
        held = dt.date(today.year, month, 10)
        if held > today:
            break
        training = TrainingClass.objects.create(
            topic=CLASS_TOPICS[month % len(CLASS_TOPICS)],
            held_on=held,
            lecturer="山东政法学院 教授",
            lecturer_kind=rnd.choice(TrainingClass.LecturerKind.values),
            hours=3,
            place="局三楼会议室",
        )
        Attendance.objects.bulk_create(
            Attendance(training=training, staff=person, present=rnd.random() < 0.9) for person in staff
        )
        classes += 1
    lectures = 0
    day = dt.date(today.year, 1, 1)
    day += dt.timedelta(days=(4 - day.weekday()) % 7)  # Fridays
    while day <= today:
        if rnd.random() < 0.85:  # some weeks fall to holidays and duty
            lecture = StaffLecture.objects.create(
                held_on=day, speaker=rnd.choice(staff), topic=rnd.choice(LECTURE_TOPICS)
            )
            for leader in leaders:
                if leader.pk != lecture.speaker_id:
                    LectureReview.objects.create(
                        lecture=lecture,
                        reviewer=leader,
                        score=rnd.randint(75, 98),
                        comment="结合实际，案例充分",
                    )
            lectures += 1
        day += dt.timedelta(days=7)
    trip = StudyTrip.objects.create(
        destination="浙江枫桥",
        starts_on=today - dt.timedelta(days=60),
        ends_on=today - dt.timedelta(days=57),
        topics="新时代枫桥经验、矛盾纠纷化解",
        report="学习“一站式”调解中心建设经验",
    )
    trip.participants.set(staff[:6])
    return f"{classes} training classes, {lectures} staff lectures, 1 study trip"
