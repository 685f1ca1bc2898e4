"""The product speaks Simplified Chinese by default and English on request, and no string ships untranslated.

The catalogues live in ``backend/locale``; ``make messages`` extracts new strings, and the tests at
the end fail until every one of them has a Chinese translation and the ``.mo`` files are compiled.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import translation

from tests.conftest import client_for

BACKEND = Path(__file__).resolve().parents[2] / "backend"
LOCALE = BACKEND / "locale"
ZH_PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
EN_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
CJK = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w*)\}")


# ---------------------------------------------------------------------------------------------
# Chinese and English in the running product
# ---------------------------------------------------------------------------------------------


def test_model_names_are_chinese_in_zh_hans_and_english_in_en() -> None:
    from backend.accounts.models import Office, User
    from backend.audit.models import AccessLog
    from backend.supervision.models import Device, EnrollmentCode, ReleasedPerson, Subject

    expected = {
        Subject: ("社区矫正对象", "corrections subject"),
        ReleasedPerson: ("刑满释放人员", "released person"),
        Office: ("司法所", "office"),
        EnrollmentCode: ("注册码", "enrollment code"),
        Device: ("手机", "phone"),
        AccessLog: ("访问日志条目", "access log entry"),
        User: ("工作人员", "staff member"),
    }
    for model, (chinese, english) in expected.items():
        with translation.override("zh-hans"):
            assert str(model._meta.verbose_name) == chinese, model
        with translation.override("en"):
            assert str(model._meta.verbose_name) == english, model
    with translation.override("zh-hans"):
        assert str(Subject._meta.verbose_name_plural) == "社区矫正对象"
        assert str(Subject._meta.get_field("supervision_level").verbose_name) == "分类管理等级"


def test_monitoring_words_follow_the_glossary() -> None:
    from backend.monitoring.models import Alert, CheckIn, Zone

    with translation.override("zh-hans"):
        assert str(Zone._meta.verbose_name) == "电子围栏"
        assert str(Alert._meta.verbose_name) == "预警"
        assert str(CheckIn._meta.verbose_name) == "定位签到"
        assert str(Alert.Status.ACKNOWLEDGED.label) == "已签收"
        assert str(Alert.Status.RESOLVED.label) == "已处置"
    with translation.override("en"):
        assert str(Alert.Status.ACKNOWLEDGED.label) == "acknowledged"


def test_role_labels_are_chinese_in_zh_hans_and_english_in_en() -> None:
    from backend.accounts.models import Role

    with translation.override("zh-hans"):
        labels = {role.value: str(role.label) for role in Role}
    assert labels == {
        "officer": "司法所工作人员",
        "office_head": "司法所所长",
        "bureau_staff": "司法局工作人员",
        "bureau_head": "司法局负责人",
        "auditor": "档案审核员",
        "sysadmin": "系统管理员",
        "reporter": "单位填报员",
    }
    with translation.override("en"):
        assert str(Role.OFFICER.label) == "Office officer"
        assert str(Role.SYSADMIN.label) == "System administrator"


def test_choice_labels_drop_the_english_gloss_in_chinese() -> None:
    from backend.supervision.models import Subject

    with translation.override("zh-hans"):
        assert [str(label) for label in Subject.Level.labels] == ["严管", "普管", "宽管"]
        assert [str(label) for label in Subject.SentenceType.labels] == [
            "管制",
            "缓刑",
            "假释",
            "暂予监外执行",
        ]
        assert str(Subject.Status.IN_SUPERVISION.label) == "在矫"
    with translation.override("en"):
        assert str(Subject.Level.STRICT.label) == "strict (严管)"
        assert str(Subject.SentenceType.PROBATION.label) == "probation (缓刑)"


@pytest.mark.django_db
def test_api_error_messages_follow_the_accept_language_header(officer_a: Any) -> None:
    def failed_login(language: str) -> dict[str, Any]:
        cache.clear()  # the login throttle counts attempts in the cache
        response = client_for(None).post(
            "/api/v1/auth/login",
            {"username": "officer_a", "password": "wrong"},
            format="json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert response.status_code == 401
        return response.json()  # type: ignore[no-any-return]

    assert failed_login("zh-hans")["detail"] == "用户名、密码或动态验证码错误。"
    assert failed_login("zh-CN,zh;q=0.9")["detail"] == "用户名、密码或动态验证码错误。"
    assert failed_login("en")["detail"] == "Wrong username, password or verification code."


@pytest.mark.django_db
def test_enrollment_errors_are_translated_for_the_phone(db: Any) -> None:
    body = {"code": "NOSUCHCODE", "device": {"platform": "android"}}
    chinese = client_for(None).post(
        "/api/v1/mobile/enroll", body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    english = client_for(None).post("/api/v1/mobile/enroll", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert chinese.status_code == english.status_code == 400
    assert chinese.json()["errors"]["code"] == ["该注册码无效。"]
    assert english.json()["errors"]["code"] == ["This enrollment code is not valid."]
    assert chinese.json()["code"] == english.json()["code"] == "invalid_code"  # machine codes never translate


@pytest.mark.django_db
def test_the_auditors_refusal_and_the_input_limits_speak_chinese(auditor: Any) -> None:
    refused = client_for(auditor).post("/api/v1/zones", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 403 and CJK.search(refused.json()["detail"]), refused.json()
    deep = client_for(auditor).get(
        "/api/v1/alerts?since=9999-12-31T23:59:59-01:00", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert deep.status_code == 400 and CJK.search(deep.json()["detail"]), deep.json()


@pytest.mark.django_db
def test_the_admin_index_is_chinese_for_a_chinese_browser(sysadmin: Any) -> None:
    from django.test import Client

    client = Client()
    client.force_login(sysadmin)
    chinese = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "社区矫正对象" in chinese
    assert "刑满释放人员" in chinese
    assert "司法所与工作人员" in chinese
    english = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Corrections subjects" in english
    assert "社区矫正对象" not in english


# ---------------------------------------------------------------------------------------------
# The catalogues are complete and compiled
# ---------------------------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str
    msgstr: str
    flags: set[str] = field(default_factory=set)
    line: int = 0


def _literal(fragment: str) -> str:
    return ast.literal_eval(fragment)  # type: ignore[no-any-return]


def read_po(path: Path) -> list[Entry]:
    """A small .po reader: msgid, the (first) msgstr and flags; enough to check completeness.

    Obsolete entries (``#~``) are comments to msgfmt and are skipped like any other comment.
    """
    entries: list[Entry] = []
    flags: set[str] = set()
    current: Entry | None = None
    target = ""
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            if current is not None and target in ("msgstr", "other"):
                entries.append(current)
                current, target = None, ""
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("msgctxt "):
            target = "msgctxt"
        elif line.startswith("msgid "):
            if current is not None:
                entries.append(current)
            current, flags, target = Entry(_literal(line[6:]), "", flags, number), set(), "msgid"
        elif line.startswith("msgid_plural "):
            target = "plural"
        elif line.startswith(("msgstr ", "msgstr[0] ")):
            assert current is not None, f"{path}:{number}: msgstr without msgid"
            current.msgstr = _literal(line.split(" ", 1)[1])
            target = "msgstr"
        elif line.startswith("msgstr["):
            target = "other"
        elif line.startswith('"'):
            assert current is not None or target == "msgctxt", f"{path}:{number}: a string outside an entry"
            if current is not None and target == "msgid":
                current.msgid += _literal(line)
            elif current is not None and target == "msgstr":
                current.msgstr += _literal(line)
        else:
            raise AssertionError(f"{path}:{number}: cannot read {line!r}")
    if current is not None:
        entries.append(current)
    return entries


def messages(path: Path) -> list[Entry]:
    return [entry for entry in read_po(path) if entry.msgid]


def test_the_catalogues_exist_for_both_languages() -> None:
    assert len(messages(ZH_PO)) > 100
    assert {e.msgid for e in messages(ZH_PO)} == {e.msgid for e in messages(EN_PO)}, (
        "zh_Hans and en were extracted at different times: run `make messages`"
    )


def test_every_chinese_message_is_translated_and_none_is_fuzzy() -> None:
    entries = read_po(ZH_PO)
    header = next(entry for entry in entries if entry.msgid == "")
    assert "fuzzy" not in header.flags, "the zh_Hans header is fuzzy: msgfmt would ignore its charset"
    assert "Plural-Forms: nplurals=1; plural=0;" in header.msgstr
    untranslated = [f"line {e.line}: {e.msgid!r}" for e in messages(ZH_PO) if not e.msgstr.strip()]
    fuzzy = [f"line {e.line}: {e.msgid!r}" for e in messages(ZH_PO) if "fuzzy" in e.flags]
    assert not untranslated, f"{ZH_PO} has untranslated messages:\n" + "\n".join(untranslated)
    assert not fuzzy, f"{ZH_PO} has fuzzy (unchecked) translations:\n" + "\n".join(fuzzy)


def test_every_chinese_translation_is_chinese_and_keeps_its_placeholders() -> None:
    for entry in messages(ZH_PO):
        assert CJK.search(entry.msgstr), f"line {entry.line}: {entry.msgstr!r} is not Chinese"
        assert sorted(PLACEHOLDER.findall(entry.msgid)) == sorted(PLACEHOLDER.findall(entry.msgstr)), (
            f"line {entry.line}: placeholders differ between {entry.msgid!r} and {entry.msgstr!r}"
        )


def test_the_english_gloss_in_parentheses_is_dropped_in_chinese() -> None:
    for entry in messages(ZH_PO):
        gloss = re.search(r"\(([\u4e00-\u9fff]+)\)", entry.msgid)
        if gloss:
            assert gloss.group(1) in entry.msgstr and "(" not in entry.msgstr, (
                f"line {entry.line}: {entry.msgstr!r}"
            )


def test_the_compiled_catalogues_match_the_po_files() -> None:
    for po in (ZH_PO, EN_PO):
        with po.with_suffix(".mo").open("rb") as handle:
            compiled = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
        expected = {e.msgid: e.msgstr for e in messages(po) if e.msgstr and "fuzzy" not in e.flags}
        actual = {key: value for key, value in compiled.items() if key and isinstance(key, str)}
        actual.update(
            {key[0]: value for key, value in compiled.items() if isinstance(key, tuple) and key[1] == 0}
        )
        assert actual == expected, f"{po.with_suffix('.mo')} is stale: run `manage.py compilemessages`"


XGETTEXT_KEYWORDS = [
    "gettext_noop",
    "gettext_lazy",
    "ngettext_lazy:1,2",
    "pgettext:1c,2",
    "npgettext:1c,2,3",
    "pgettext_lazy:1c,2",
    "npgettext_lazy:1c,2,3",
]


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="xgettext (GNU gettext) is not installed")
def test_every_translatable_string_in_the_code_is_in_the_catalogue(tmp_path: Path) -> None:
    """The same extraction as ``makemessages``: a new ``_("...")`` fails here until ``make messages``."""
    sources = sorted(
        str(path.relative_to(BACKEND))
        for path in BACKEND.rglob("*.py")
        if "static" not in path.parts and "locale" not in path.parts
    )
    pot = tmp_path / "code.pot"
    subprocess.run(
        [
            "xgettext",
            "--language=Python",
            "--from-code=UTF-8",
            "--no-wrap",
            "-o",
            str(pot),
            *(f"--keyword={keyword}" for keyword in XGETTEXT_KEYWORDS),
            *sources,
        ],
        cwd=BACKEND,
        check=True,
        capture_output=True,
        timeout=60,
    )
    in_code = {entry.msgid for entry in messages(pot)} if pot.exists() else set()
    # The shared catalogue and each app's own (backend/<app>/locale, which Django finds too).
    catalogues = [ZH_PO, *sorted(BACKEND.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))]
    in_catalogue = {entry.msgid for po in catalogues for entry in messages(po)}
    missing = sorted(in_code - in_catalogue)
    assert not missing, "strings not in the catalogue, run `make messages` and translate them:\n" + "\n".join(
        missing
    )
