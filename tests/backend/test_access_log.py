"""Every staff read and write of a person's record lands in the append-only access log."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_reading_a_subject_is_logged_with_who_what_when_where(officer_a: Any, subject_a: Any) -> None:
    from backend.audit.models import AccessLog

    client_for(officer_a).get(
        f"/api/v1/subjects/{subject_a.pk}", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="console/1.0"
    )
    entry = AccessLog.objects.get(action="read")
    assert (entry.actor, entry.resource, entry.object_id) == (officer_a, "subject", str(subject_a.pk))
    assert (entry.ip, entry.user_agent, entry.outcome, entry.status_code) == (
        "10.1.2.3",
        "console/1.0",
        "ok",
        200,
    )
    assert entry.actor_office_id == officer_a.office_id and entry.at is not None


def test_a_list_records_which_people_were_shown(officer_a: Any, subject_a: Any) -> None:
    from backend.audit.models import AccessLog

    client_for(officer_a).get("/api/v1/subjects")
    assert AccessLog.objects.get(action="list").detail["ids"] == [subject_a.pk]


def test_writes_and_denied_reads_are_logged(officer_a: Any, subject_a: Any, subject_b: Any) -> None:
    from backend.audit.models import AccessLog

    client = client_for(officer_a)
    client.patch(f"/api/v1/subjects/{subject_a.pk}", {"notes": "谈话"}, format="json")
    client.get(f"/api/v1/subjects/{subject_b.pk}")
    client.post(f"/api/v1/subjects/{subject_a.pk}/enrollment-code")
    outcomes = list(AccessLog.objects.order_by("id").values_list("action", "object_id", "outcome"))
    assert outcomes == [
        ("update", str(subject_a.pk), "ok"),
        ("read", str(subject_b.pk), "not_found"),
        ("action", str(subject_a.pk), "ok"),
    ]


def test_the_log_is_append_only(officer_a: Any, subject_a: Any) -> None:
    from backend.audit.models import AccessLog, AppendOnlyError

    client_for(officer_a).get(f"/api/v1/subjects/{subject_a.pk}")
    entry = AccessLog.objects.get()
    entry.outcome = "denied"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AccessLog.objects.all().update(outcome="denied")
    with pytest.raises(AppendOnlyError):
        AccessLog.objects.all().delete()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the database trigger exists on PostgreSQL only"
)
def test_postgresql_refuses_raw_updates(officer_a: Any, subject_a: Any) -> None:
    from django.db import DatabaseError, transaction

    client_for(officer_a).get(f"/api/v1/subjects/{subject_a.pk}")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_accesslog SET outcome = 'denied'")


def test_auditors_list_the_log_and_officers_cannot(officer_a: Any, auditor: Any, subject_a: Any) -> None:
    client_for(officer_a).get(f"/api/v1/subjects/{subject_a.pk}")
    assert client_for(officer_a).get("/api/v1/audit/access-log").status_code == 403
    rows = client_for(auditor).get("/api/v1/audit/access-log", {"resource": "subject"}).json()["results"]
    assert rows[0]["actor_username"] == "officer_a" and rows[0]["action"] == "read"
