"""One record of each collection of the bureau's modules, for the tests that walk every path of the
published contract (``test_hostile_request_bodies``): ``{collection: id}``."""

from __future__ import annotations

import datetime as dt

from django.apps import apps


def bureau_record_ids() -> dict[str, int]:
    from backend.bureau.models import Unit
    from backend.bureau.services import open_rectification

    unit = Unit.objects.create(code="dept-records", name="记录部门", kind=Unit.Kind.DEPARTMENT)
    item = open_rectification(unit=unit, finding="台账不全", deadline=dt.date(2027, 1, 31))
    ids = {"units": unit.pk, "rectification-items": item.pk}
    if apps.is_installed("backend.lawadmin"):
        ids |= _lawadmin(unit)
    if apps.is_installed("backend.business"):
        ids |= _business(unit)
    return ids


def _business(department: object) -> dict[str, int]:
    from backend.bureau.models import Unit
    from backend.business import models as m

    day = dt.date(2026, 3, 1)
    firm = m.LawFirm.objects.create(
        unit=Unit.objects.create(code="firm-records", name="律所", kind=Unit.Kind.LAW_FIRM),
        license_no="R1",
        director="d",
    )
    lawyer = m.Lawyer.objects.create(firm=firm, name="律师", license_no="R1")
    enterprise = Unit.objects.create(code="ent-records", name="企业", kind=Unit.Kind.ENTERPRISE)
    return {
        "law-firms": firm.pk,
        "lawyers": lawyer.pk,
        "lawyer-sanctions": m.Sanction.objects.create(
            firm=firm, kind="warning_talk", decided_on=day, reason="r"
        ).pk,
        "adviser-hirings": m.AdviserHiring.objects.create(
            unit=department, lawyer=lawyer, kind="government", starts_on=day, ends_on=day
        ).pk,
        "law-firm-inspections": m.FirmInspection.objects.create(
            firm=firm, inspected_on=day, result="compliant"
        ).pk,
        "law-firm-assessments": m.AnnualAssessment.objects.create(firm=firm, year=2025, result="pass").pk,
        "experts": m.Expert.objects.create(pool="maritime", name="e", organisation="o", field="f").pk,
        "enterprise-visits": m.EnterpriseVisit.objects.create(
            enterprise=enterprise, firm=firm, visited_on=day, service="policy", issues="i", outcome="resolved"
        ).pk,
        "certificate-requirements": m.CertificateRequirement.objects.create(
            unit=department, service_item="s", certificate="c"
        ).pk,
    }


def _lawadmin(unit: object) -> dict[str, int]:
    from django.core.files.base import ContentFile

    from backend.lawadmin import models as m

    day = dt.date(2026, 3, 1)
    officer = m.EnforcementOfficer.objects.create(
        unit=unit, name="执法员", certificate_no="R1", field="market"
    )
    rubric = m.InspectionRubric.objects.create(year=2026, half=1, title="督察")
    notice = m.ComplianceNotice(unit=unit, year=2026, quarter=1, number="R-1", reason="x")
    notice.document.save("r.html", ContentFile(b"<p>x</p>"), save=True)
    return {
        "enforcement-officers": officer.pk,
        "study-records": m.StudyRecord.objects.create(officer=officer, date=day, hours=2, topic="x").pk,
        "ability-tests": m.AbilityTest.objects.create(year=2026, title="t", held_on=day).pk,
        "hearing-attendances": m.HearingAttendance.objects.create(
            unit=unit, held_on=day, court="c", case_number="n", attendees=3
        ).pk,
        "litigation-cases": m.LitigationCase.objects.create(
            unit=unit, case_number="R1", court="c", cause="c", plaintiff="p", served_on=day, reported_on=day
        ).pk,
        "legality-reviews": m.LegalityReview.objects.create(
            unit=unit, kind="contract", title="t", received_on=day
        ).pk,
        "contract-catalogues": m.ContractCatalogue.objects.create(
            unit=unit, year=2026, quarter=1, contracts=1, reviewed=1
        ).pk,
        "compliance-notices": notice.pk,
        "inspection-rubrics": rubric.pk,
        "rule-of-law-inspections": m.RuleOfLawInspection.objects.create(
            rubric=rubric, unit=unit, inspected_on=day
        ).pk,
        **_enforcement(unit, day),
    }


def _enforcement(unit: object, day: dt.date) -> dict[str, int]:
    from backend.bureau.models import Unit
    from backend.lawadmin import models as m

    enterprise = Unit.objects.create(code="ent-enforcement", name="企业", kind=Unit.Kind.ENTERPRISE)
    joint = m.JointInspection.objects.create(enterprise=enterprise, scheduled_on=day, window_days=14)
    review = m.CaseFileReview.objects.create(year=2026, title="t", held_on=day)
    other = Unit.objects.create(code="dept-records-2", name="部门二", kind=Unit.Kind.DEPARTMENT)
    return {
        "inspection-plans": m.InspectionPlan.objects.create(
            unit=unit, enterprise=enterprise, planned_on=day, matters="m", joint=joint
        ).pk,
        "joint-inspections": joint.pk,
        "first-offence-returns": m.FirstOffenceReturn.objects.create(
            unit=unit, year=2026, month=3, no_penalty=1, light_penalty=0
        ).pk,
        "social-supervisors": m.SocialSupervisor.objects.create(name="s", background="lawyer").pk,
        "case-file-reviews": review.pk,
        "case-file-assignments": m.CaseFileAssignment.objects.create(
            review=review, reviewed_unit=unit, reviewer_unit=other
        ).pk,
        "risk-conferences": m.RiskConference.objects.create(held_on=day, topic="t", opinion="o").pk,
        "contract-self-checks": m.ContractSelfCheck.objects.create(
            unit=unit, year=2026, contracts_checked=1
        ).pk,
        "mock-trial-scripts": m.MockTrialScript.objects.create(
            unit=unit, year=2026, title="t", submitted_on=day
        ).pk,
    }
