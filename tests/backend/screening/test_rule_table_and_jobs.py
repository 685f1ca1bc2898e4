"""The rule table is checked before use, v1 is what the migration seeded, the admin reads in
Chinese, the demo brings a finished run, and the resume job queues unfinished runs."""

from __future__ import annotations

import copy
import importlib
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_version_one_is_the_default_table_and_is_valid() -> None:
    from backend.screening.models import RuleTable
    from backend.screening.rules import DEFAULT_RULES, rule_problems

    seeded = importlib.import_module("backend.screening.migrations.0002_first_rule_table").RULES
    assert seeded == DEFAULT_RULES
    assert rule_problems(DEFAULT_RULES) == []
    table = RuleTable.objects.get(version=1)
    assert table.rules == DEFAULT_RULES and table.is_active


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda r: r.pop("released"), "released"),
        (lambda r: r.update(other={}), "unknown person kinds"),
        (lambda r: r["subject"]["factors"][0].update(weight=0), "subject.factors.0.weight"),
        (lambda r: r["subject"]["factors"][0].update(weight=True), "subject.factors.0.weight"),
        (lambda r: r["subject"]["factors"][0].update(cuts=[3, 1]), "subject.factors.0.cuts"),
        (lambda r: r["subject"]["factors"][0].update(cuts=[]), "subject.factors.0.cuts"),
        (lambda r: r["subject"]["factors"][0].update(code="a b"), "subject.factors.0.code"),
        (lambda r: r["subject"]["factors"][1].update(code="zone_alerts"), "appears twice"),
        (lambda r: r["subject"]["factors"][0].update(extra=1), "exactly code, weight and cuts"),
        (lambda r: r["subject"].update(factors=[]), "subject.factors"),
        (lambda r: r["subject"].update(bands={"medium": 9, "high": 3}), "subject.bands"),
        (lambda r: r["subject"].update(max_missing=-1), "subject.max_missing"),
    ],
)
def test_a_broken_table_names_its_problem(change: Any, where: str) -> None:
    from django.core.exceptions import ValidationError

    from backend.screening.models import RuleTable
    from backend.screening.rules import DEFAULT_RULES, rule_problems

    rules = copy.deepcopy(DEFAULT_RULES)
    change(rules)
    problems = rule_problems(rules)
    assert any(where in problem for problem in problems), problems
    with pytest.raises(ValidationError):
        RuleTable(version=2, name="x", rules=rules).clean()
    assert rule_problems([]) == ["the rule table must be an object keyed by person kind"]


def test_the_admin_pages_read_in_chinese(client: Any, sysadmin: Any, office_a: Any) -> None:
    from tests.backend.screening.helpers import run_screening

    run_screening()
    client.force_login(sysadmin)
    for url in (
        "/admin/screening/ruletable/",
        "/admin/screening/ruletable/1/change/",
        "/admin/screening/screening/",
        "/admin/screening/screeningresult/",
    ):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert page.status_code == 200, url
    assert "风险评分规则表" in client.get("/admin/screening/ruletable/").content.decode()


def test_saving_a_new_table_in_the_admin_takes_the_next_version(client: Any, sysadmin: Any) -> None:
    import json

    from backend.screening.models import RuleTable
    from backend.screening.rules import DEFAULT_RULES

    client.force_login(sysadmin)
    answer = client.post(
        "/admin/screening/ruletable/add/",
        {"name": "第2版", "is_active": "on", "rules": json.dumps(DEFAULT_RULES), "notes": ""},
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    table = RuleTable.objects.get(name="第2版")
    assert table.version == 2 and table.created_by == sysadmin


def test_the_demo_step_brings_a_finished_screening(office_a: Any) -> None:
    from backend.screening.demo import finished_screening
    from backend.screening.models import Screening
    from tests.conftest import make_subject

    make_subject(office_a)
    line = finished_screening()
    assert "1 people" in line
    assert Screening.objects.get().status == Screening.Status.FINISHED
    assert "already there" in finished_screening()


def test_the_resume_job_queues_the_work_of_unfinished_runs(office_a: Any, monkeypatch: Any) -> None:
    from django.db import transaction

    from backend.screening import tasks
    from backend.screening.services import start_screening
    from tests.backend.screening.helpers import QUARTER

    with transaction.atomic():
        queued = start_screening(quarter=QUARTER)
    planned, worked = [], []
    monkeypatch.setattr(tasks.plan_screening, "delay", lambda pk: planned.append(pk))
    monkeypatch.setattr(tasks.work_on_screening, "delay", lambda pk: worked.append(pk))
    assert tasks.resume_screenings(all_unfinished=True) == 1
    assert planned == [queued.pk]
    from backend.screening.services import plan_screening
    from tests.backend.screening.helpers import backdate
    from tests.conftest import make_subject

    backdate(make_subject(office_a))
    plan_screening(queued.pk)  # running, its chunk not yet scored
    assert tasks.resume_screenings(all_unfinished=False) == 0  # begun moments ago: not stale
    assert tasks.resume_screenings(all_unfinished=True) == 1
    assert worked == [queued.pk] * 4
