"""Rewards and sanctions: facts, basis, proposer, approver, date; each an archive document; an
alert resolved as a 训诫/警告 proposal drafts one."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from backend.archives.models import Document, Sanction
from backend.monitoring.services import raise_alert, resolve_alert
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def propose(client: Any, subject: Any, kind: str = "warning") -> Any:
    return client.post(
        "/api/v1/sanctions",
        {"subject": subject.pk, "kind": kind, "facts": "两次未按规定报告活动情况", "legal_basis": ""},
        format="json",
    )


def test_a_proposal_is_approved_by_the_office_head_and_both_steps_are_versions(
    officer_a: Any, head_a: Any, subject_a: Any
) -> None:
    response = propose(client_for(officer_a), subject_a)
    assert response.status_code == 201, response.json()
    sanction = response.json()
    assert sanction["status"] == "draft" and sanction["legal_basis"] == "《社区矫正法》第二十八条"
    assert sanction["proposed_by"] == officer_a.pk
    officer_try = client_for(officer_a).post(f"/api/v1/sanctions/{sanction['id']}/approve", {}, format="json")
    assert officer_try.status_code == 400 and officer_try.json()["code"] == "not_approver"
    approved = client_for(head_a).post(
        f"/api/v1/sanctions/{sanction['id']}/approve", {"decided_on": "2026-12-01"}, format="json"
    )
    assert approved.status_code == 200, approved.json()
    assert approved.json()["approved_by"] == head_a.pk and approved.json()["decided_on"] == "2026-12-01"
    document = Document.objects.select_related("archive").get(pk=sanction["document"])
    assert document.archive.kind == "execution" and document.version_count == 2
    latest = document.versions.order_by("-number").first()
    assert latest is not None and latest.data["status"] == "approved" and latest.created_by_id == head_a.pk
    again = client_for(head_a).post(f"/api/v1/sanctions/{sanction['id']}/approve", {}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "not_draft"


def test_proposals_to_revoke_need_the_bureau_head_and_the_right_sentence(
    officer_a: Any, head_a: Any, bureau_head: Any, subject_a: Any
) -> None:
    assert propose(client_for(officer_a), subject_a, "revoke_parole").status_code == 400  # a probationer
    sanction = propose(client_for(officer_a), subject_a, "revoke_probation").json()
    assert client_for(head_a).post(f"/api/v1/sanctions/{sanction['id']}/approve", {}).status_code == 400
    assert client_for(bureau_head).post(f"/api/v1/sanctions/{sanction['id']}/approve", {}).status_code == 200


def test_auditors_cannot_propose_and_other_offices_do_not_see(
    auditor: Any, officer_b: Any, officer_a: Any, subject_a: Any
) -> None:
    assert propose(client_for(auditor), subject_a).status_code == 403
    sanction = propose(client_for(officer_a), subject_a).json()
    assert client_for(officer_b).get(f"/api/v1/sanctions/{sanction['id']}").status_code == 404
    assert propose(client_for(officer_b), subject_a).status_code == 400  # the subject is not theirs
    assert client_for(auditor).get(f"/api/v1/sanctions/{sanction['id']}").status_code == 200


@pytest.mark.parametrize(
    ("resolution", "kind"), [("reprimand_proposal", "reprimand"), ("warning_proposal", "warning")]
)
def test_resolving_an_alert_as_a_proposal_drafts_the_sanction_once(
    officer_a: Any, subject_a: Any, resolution: str, kind: str
) -> None:
    alert = raise_alert(
        subject_a, kind="curfew", severity="warning", occurred_at=timezone.now(), dedupe_key="c1"
    )
    resolve_alert(alert, officer_a, resolution, "宵禁期间外出，经核实无正当理由")
    sanction = Sanction.objects.get()
    assert (sanction.kind, sanction.status, sanction.alert_id) == (kind, "draft", alert.pk)
    assert "宵禁期间外出" in sanction.facts and sanction.proposed_by == officer_a
    # The resolved alert itself is a generated document of the working archive.
    generated = Document.objects.get(source_key=f"alert:{alert.pk}")
    assert generated.archive.kind == "work" and generated.origin == "generated"


def test_a_false_alarm_drafts_nothing(officer_a: Any, subject_a: Any) -> None:
    alert = raise_alert(
        subject_a, kind="offline", severity="warning", occurred_at=timezone.now(), dedupe_key="o1"
    )
    resolve_alert(alert, officer_a, "false_alarm", "")
    assert not Sanction.objects.exists()
    assert Document.objects.filter(source_key=f"alert:{alert.pk}").exists()
