"""The plan dashboard: every registered target with its progress, an XLSX of them (audited), the
page with its chart library served from the project, and the alerts-in-time indicator."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.utils import timezone

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_every_registered_target_is_listed_with_its_progress(bureau_staff: Any, town_a: Any) -> None:
    from backend.bureau.indicators import registered

    answer = client_for(bureau_staff).get("/api/v1/plan/indicators", {"year": 2026})
    assert answer.status_code == 200
    codes = {row["code"] for row in answer.json()}
    assert codes == {spec.code for spec in registered()}
    assert {
        "publicity-events",
        "mediation-centre-coverage",
        "full-time-mediators",
        "staff-lectures",
        "alerts-handled-in-time",
    } <= codes
    events = next(row for row in answer.json() if row["code"] == "publicity-events")
    assert float(events["target"]) == 5000 and "by_unit" in events and "by_month" in events
    assert client_for(bureau_staff).get("/api/v1/plan/indicators", {"year": 1900}).status_code == 400


def test_an_office_sees_only_its_own_town_by_unit(officer_a: Any, town_a: Any, town_b: Any) -> None:
    from backend.mediation.models import MediationCentre

    MediationCentre.objects.create(unit=town_a, level="town", name="甲镇中心")
    rows = client_for(officer_a).get("/api/v1/plan/indicators").json()
    coverage = next(row for row in rows if row["code"] == "mediation-centre-coverage")
    assert [entry["unit"] for entry in coverage["by_unit"]] == [town_a.pk]


def test_anonymous_callers_get_nothing(client: Any) -> None:
    assert client.get("/api/v1/plan/indicators").status_code in (401, 403)


def test_the_export_is_an_xlsx_row_per_target_and_is_audited(bureau_staff: Any) -> None:
    from backend.audit.models import AccessLog
    from backend.bureau.indicators import registered

    answer = client_for(bureau_staff).get("/api/v1/plan/indicators/export.xlsx", {"year": 2026})
    assert answer.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(answer.streaming_content))).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(rows) == len(registered())
    assert AccessLog.objects.filter(resource="plan_indicators", action="export").exists()


def test_the_page_loads_its_chart_library_from_this_server(client: Any) -> None:
    from backend.plan.views import PLOTLY_VERSION

    page = client.get("/plan/")
    assert page.status_code == 200
    html = page.content.decode()
    assert (
        f"/plan/plotly-{PLOTLY_VERSION}.min.js" in html
        and "http" not in html.split("<script", 1)[1].split(">")[0]
    )
    assert (
        "script-src" not in page["Content-Security-Policy"]
        and "default-src 'self'" in page["Content-Security-Policy"]
    )
    library = client.get(f"/plan/plotly-{PLOTLY_VERSION}.min.js")
    assert library.status_code == 200 and "immutable" in library["Cache-Control"]
    assert client.get("/plan/plotly-0.0.1.min.js").status_code == 404


def test_alerts_count_as_handled_in_time_by_their_severity_deadline(
    subject_a: Any, office_a: Any, town_a: Any
) -> None:
    from backend.monitoring.models import Alert
    from backend.plan.indicators import alerts_handled_in_time

    now = timezone.now()
    raised = now - dt.timedelta(days=1)

    def alert(seq: int, severity: str, acknowledged_after: dt.timedelta | None) -> None:
        created = Alert.objects.create(
            seq=seq,
            dedupe_key=f"k{seq}",
            category="risk",
            kind="offline",
            severity=severity,
            subject=subject_a,
            office=office_a,
            occurred_at=raised,
            acknowledged_at=None if acknowledged_after is None else raised + acknowledged_after,
        )
        Alert.objects.filter(pk=created.pk).update(raised_at=raised)

    alert(1, "critical", dt.timedelta(minutes=5))  # in time
    alert(2, "critical", dt.timedelta(minutes=30))  # late
    alert(3, "warning", dt.timedelta(minutes=30))  # in time
    alert(4, "warning", None)  # never acknowledged
    progress = alerts_handled_in_time(timezone.localtime(raised).year)
    assert progress.value == 50.0
    assert progress.by_unit == {town_a.pk: 50.0}


def test_the_supervision_modules_numbers_are_on_the_plan(
    bureau_staff: Any, office_a: Any, office_b: Any, town_a: Any, town_b: Any
) -> None:
    """Screening each quarter, archive completeness, hand-over and pickup rates are registered and
    computed (the plan registers them for the modules beside the bureau's)."""
    from backend.plan.modules import handover_rate, screening_done
    from backend.screening.models import RuleTable, Screening
    from tests.conftest import make_released_person

    codes = {row["code"] for row in client_for(bureau_staff).get("/api/v1/plan/indicators").json()}
    assert {"screening-each-quarter", "archive-completeness", "handover-rate", "pickup-rate"} <= codes

    today = timezone.localdate()
    quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    table = RuleTable.objects.first() or RuleTable.objects.create(version=1)
    window = timezone.now()
    Screening.objects.create(
        quarter=quarter,
        window_start=window,
        window_end=window,
        office=office_a,
        rule_table=table,
        status=Screening.Status.FINISHED,
        trigger=Screening.Trigger.STAFF,
    )
    progress = screening_done(today.year)
    assert progress.by_unit[town_a.pk] > progress.by_unit[town_b.pk] == 0.0
    assert progress.value < 100  # office B's quarter was not screened

    make_released_person(office_a, release_date=today, received_at=timezone.now())
    make_released_person(office_a, release_date=today)
    assert handover_rate(today.year).by_unit[town_a.pk] == 50.0
