"""Every alert word has one label, and every place that shows it shows that label, in both languages.

The vocabularies (categories, kinds, severities, statuses, resolutions) are declared once, in
``backend.core.vocabulary``. A new member fails here until it reads right in the published spec,
the API's choices, the admin, the console and the staff push, in Chinese and in English.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.db import models
from django.test import Client
from django.utils import timezone, translation
from django.utils.text import capfirst

from backend.core.vocabulary import ALERT_VOCABULARIES, AlertKind, AlertSeverity

SPEC = Path(__file__).resolve().parents[2] / "mobile_api_spec" / "openapi.yaml"
CJK = re.compile(r"[\u4e00-\u9fff]")
LANGUAGES = ("zh-hans", "en")
# The Alert model's field of each vocabulary.
FIELDS = {
    "category": "category",
    "kind": "kind",
    "severity": "severity",
    "status": "status",
    "resolution": "resolution",
}
VOCABULARIES = sorted(ALERT_VOCABULARIES.items())


def labels_in(language: str, vocabulary: type[models.TextChoices]) -> dict[str, str]:
    with translation.override(language):
        return {member.value: str(member.label) for member in vocabulary}


# ---------------------------------------------------------------------------------------------
# The declaration itself
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "vocabulary"), VOCABULARIES)
def test_every_member_has_one_chinese_and_one_english_label(
    name: str, vocabulary: type[models.TextChoices]
) -> None:
    chinese, english = labels_in("zh-hans", vocabulary), labels_in("en", vocabulary)
    for value in vocabulary.values:
        assert CJK.search(chinese[value]), f"{name}.{value}: {chinese[value]!r} is not translated to Chinese"
        assert english[value].strip() and english[value] != chinese[value], (
            f"{name}.{value}: no English label"
        )
    # Two members with one label could not be told apart wherever they are shown.
    for language, found in (("zh-hans", chinese), ("en", english)):
        assert len(set(found.values())) == len(found), (
            f"{name}: two members share a label in {language}: {found}"
        )


def test_the_alert_model_reads_the_vocabularies() -> None:
    from backend.monitoring.models import Alert

    for name, vocabulary in ALERT_VOCABULARIES.items():
        field = Alert._meta.get_field(FIELDS[name])
        assert list(field.choices) == list(vocabulary.choices), name  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# The API: its serializers' choices and the published spec
# ---------------------------------------------------------------------------------------------


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key, []):
            found = _resolve(spec, part)
            if found.get("enum") and found["enum"] != [""]:
                return found
    if "$ref" in schema:
        return _resolve(spec, spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    return schema


@pytest.mark.parametrize(("name", "vocabulary"), VOCABULARIES)
def test_the_published_spec_lists_every_member_with_its_english_label(
    name: str, vocabulary: type[models.TextChoices]
) -> None:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    schema = _resolve(spec, spec["components"]["schemas"]["Alert"]["properties"][FIELDS[name]])
    assert [value for value in schema["enum"] if value] == list(vocabulary.values), (
        f"{name}: the spec's enum differs from the vocabulary: run `make spec`"
    )
    for value, label in labels_in("en", vocabulary).items():
        assert f"* `{value}` - {label}" in schema["description"], f"{name}.{value}: run `make spec`"


def test_the_api_serializers_offer_every_member() -> None:
    from backend.monitoring.api.serializers import AlertSerializer, ResolveAlertSerializer

    fields = AlertSerializer().fields
    for name, vocabulary in ALERT_VOCABULARIES.items():
        assert [value for value in fields[FIELDS[name]].choices if value] == list(vocabulary.values), name
    assert list(ResolveAlertSerializer().fields["resolution"].choices) == list(
        ALERT_VOCABULARIES["resolution"].values
    )


# ---------------------------------------------------------------------------------------------
# The admin
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_admin_filters_and_form_show_every_member(language: str, sysadmin: Any, subject_a: Any) -> None:
    from backend.monitoring.models import Alert

    alert = Alert.objects.create(
        seq=1,
        dedupe_key="vocabulary",
        category="position",
        kind="left_zone",
        severity="critical",
        subject=subject_a,
        office=subject_a.office,
        occurred_at=timezone.now() - dt.timedelta(minutes=1),
    )
    client = Client()
    client.force_login(sysadmin)
    changelist = html.unescape(
        client.get("/admin/monitoring/alert/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    )
    change = html.unescape(
        client.get(
            f"/admin/monitoring/alert/{alert.pk}/change/", HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()
    )
    from backend.monitoring.admin import AlertAdmin

    for name, vocabulary in ALERT_VOCABULARIES.items():
        field = FIELDS[name]
        for value, label in labels_in(language, vocabulary).items():
            if field in AlertAdmin.list_filter:
                link = f'<a href="?{field}__exact={value}">{label}</a>'
                assert link in changelist, f"{name}.{value}: the admin's filter lacks {link}"
            else:  # chosen on the change form
                option = re.search(rf'<option value="{value}"[^>]*>{re.escape(label)}</option>', change)
                assert option, f"{name}.{value}: the admin's form lacks the option {label!r}"


# ---------------------------------------------------------------------------------------------
# The console
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_console_labels_every_member(language: str) -> None:
    page = Client().get("/console/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    raw = re.search(r'<script id="console-config" type="application/json">(.*?)</script>', page, re.S)
    assert raw is not None
    shown = json.loads(raw.group(1))["labels"]
    for name, vocabulary in ALERT_VOCABULARIES.items():
        expected = {value: capfirst(label) for value, label in labels_in(language, vocabulary).items()}
        assert shown[name] == expected, f"the console's {name} labels differ from the vocabulary"
    for value, label in labels_in(language, ALERT_VOCABULARIES["resolution"]).items():
        assert f'<option value="{value}">{html.escape(capfirst(label))}</option>' in page, value


# ---------------------------------------------------------------------------------------------
# The push that wakes staff
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("active", LANGUAGES)
@pytest.mark.parametrize("kind", AlertKind.values)
def test_the_staff_push_names_every_kind_in_chinese_whatever_the_language(kind: str, active: str) -> None:
    from backend.reminders.rules import staff_alert_text

    chinese, english = labels_in("zh-hans", AlertKind), labels_in("en", AlertKind)
    with translation.override(active):
        text = staff_alert_text(kind, "张三", dt.datetime(2026, 11, 27, 14, 0, tzinfo=dt.UTC))
    assert text.body.startswith(chinese[kind]), text.body
    assert english[kind] not in text.body
    assert text.title == f"{labels_in('zh-hans', AlertSeverity)['critical']}预警：张*"
