"""One record of each collection of publicity, mediation, learning, duty and casework, for the tests
that walk every path of the contract (hostile bodies, office scoping): ``{collection path: id}``.

Bureau records are kept against a department (no office's town), so an office role reaches none of
them; casework and duty records belong to ``subject``'s office.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone


def bureau_function_ids() -> dict[str, int]:
    from backend.bureau.indicators import ensure_indicators
    from backend.bureau.models import Unit
    from backend.learning.models import StaffLecture, StudyTrip, TrainingClass
    from backend.mediation.models import (
        CreditRule,
        Dispute,
        ExpertRequest,
        MediationBody,
        MediationCentre,
        Mediator,
    )
    from backend.publicity.models import Activity, DemonstrationVillage, TrainedVillager, Volunteer
    from tests.conftest import make_staff

    day = dt.date(2026, 3, 2)
    unit = Unit.objects.create(code="dept-functions", name="普法部门", kind=Unit.Kind.DEPARTMENT)
    village = Unit.objects.create(code="village-functions", name="示范村", kind=Unit.Kind.VILLAGE)
    mediator = Mediator.objects.create(
        unit=unit, name="调解员", background="lawyer", is_expert=True, expert_field="medical"
    )
    dispute = Dispute.objects.create(
        unit=unit, received_on=day, kind="medical", summary="s", parties=[{"name": "甲", "role": "applicant"}]
    )
    speaker = make_staff("functions_speaker", "bureau_staff")
    indicator = ensure_indicators(2026)[0]
    return {
        "indicators": indicator.pk,
        "publicity/activities": Activity.objects.create(
            unit=unit, held_on=day, kind="lecture", topic="t", audience=1, place="p"
        ).pk,
        "publicity/volunteers": Volunteer.objects.create(
            unit=unit, name="v", background="legal", joined_on=day
        ).pk,
        "publicity/trained-villagers": TrainedVillager.objects.create(
            unit=village, kind="legal_aware", name="n", trained_on=day, hours=8
        ).pk,
        "publicity/demonstration-villages": DemonstrationVillage.objects.create(
            unit=village, level="city", year=2026
        ).pk,
        "mediation/centres": MediationCentre.objects.create(unit=unit, level="city", name="c").pk,
        "mediation/mediators": mediator.pk,
        "mediation/bodies": MediationBody.objects.create(unit=unit, name="b", kind="industry").pk,
        "mediation/disputes": dispute.pk,
        "mediation/expert-requests": ExpertRequest.objects.create(
            dispute=dispute, field="medical", expert=mediator, status="assigned"
        ).pk,
        "mediation/credit-rules": CreditRule.objects.create(
            kind="", outcome="resolved", points=1, subsidy=0, deduction=0
        ).pk,
        "learning/classes": TrainingClass.objects.create(
            topic="t", held_on=day, lecturer="l", lecturer_kind="scholar", hours=2
        ).pk,
        "learning/lectures": StaffLecture.objects.create(held_on=day, speaker=speaker, topic="t").pk,
        "learning/trips": StudyTrip.objects.create(
            destination="d", starts_on=day, ends_on=day, topics="t"
        ).pk,
    }


def office_record_ids(subject: Any) -> dict[str, int]:
    """Duty and casework records of ``subject``'s office."""
    from backend.casework.models import CurfewCheck, PositioningOrder
    from backend.duty.models import DutyShift
    from backend.monitoring.models import Zone
    from tests.backend.casework.helpers import make_leave
    from tests.conftest import enroll_phone

    now = timezone.now()
    # The subject's phone if it has one (enrolling another would revoke the caller's).
    device = subject.devices.filter(revoked_at__isnull=True).first()
    if device is None:
        device, _token = enroll_phone(subject, subject.responsible_officer)
    zone = Zone.objects.create(
        office=subject.office,
        subject=subject,
        name="宵禁",
        kind="inclusion",
        geometry={"type": "Point", "coordinates": [122.35, 37.15]},
        radius_m=100,
    )
    return {
        "duty/shifts": DutyShift.objects.create(
            office=subject.office,
            user=subject.responsible_officer,
            starts_at=now,
            ends_at=now + dt.timedelta(hours=8),
        ).pk,
        "leave-requests": make_leave(device, days=3, start=now + dt.timedelta(days=2)).pk,
        "positioning-orders": PositioningOrder.objects.create(
            subject=subject,
            ground="police_penalty",
            reason="r",
            ends_on=timezone.localdate() + dt.timedelta(days=30),
        ).pk,
        "curfew-checks": CurfewCheck.objects.create(
            subject=subject,
            zone=zone,
            window_start=now - dt.timedelta(days=1),
            checked_at=now,
            status="compliant",
        ).pk,
    }
