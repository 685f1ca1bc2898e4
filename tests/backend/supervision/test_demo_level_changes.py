"""The demo county brings level changes with reasons and authors, once."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_the_demo_changes_some_levels_once(db: Any) -> None:
    from backend.monitoring.models import MonitorState
    from backend.supervision.models import LevelChange

    with override_settings(DEMO_MODE=True):
        call_command("load_demo", "--subjects", "24", "--released", "2", "--quiet", stdout=io.StringIO())
        changes = list(LevelChange.objects.select_related("subject", "changed_by"))
        assert len(changes) == 2
        for change in changes:
            assert change.reason and change.changed_by == change.subject.responsible_officer
            assert change.subject.supervision_level == change.to_level != change.from_level
            state = MonitorState.objects.filter(subject=change.subject).first()
            assert state is None or state.expectation_sources == [f"level:{change.to_level}"]
        out = io.StringIO()
        call_command("load_demo", "--subjects", "24", "--released", "2", "--quiet", stdout=out)
    assert LevelChange.objects.count() == 2
    assert "0 level changes (2 in all)" in out.getvalue()
