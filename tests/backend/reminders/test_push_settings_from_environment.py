"""Push settings come from the environment: console and 22:00–07:00 by default, malformed values refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[3]

PRINT_PUSH_SETTINGS = """
import django, json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
django.setup()
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in (
    "PUSH_TRANSPORT", "FCM_CREDENTIALS_FILE", "FCM_PROJECT_ID", "FCM_DRY_RUN", "PUSH_MAX_ATTEMPTS", "QUIET_HOURS",
    "QUIET_HOURS_TIME_ZONE")} | {"BEAT": sorted(settings.CELERY_BEAT_SCHEDULE)}))
"""


def run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "VAR_DIR": str(tmp_path / "var"),
    }
    return subprocess.run(
        [sys.executable, "-c", PRINT_PUSH_SETTINGS],
        cwd=PROJECT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def load(tmp_path: Path, **env: str) -> dict[str, Any]:
    result = run(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def refusal(tmp_path: Path, **env: str) -> str:
    result = run(tmp_path, **env)
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr, result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_the_defaults_push_to_the_console_and_keep_nights_quiet(tmp_path: Path) -> None:
    values = load(tmp_path)
    assert values["PUSH_TRANSPORT"] == "console" and values["FCM_DRY_RUN"] is False
    assert (values["QUIET_HOURS"], values["QUIET_HOURS_TIME_ZONE"]) == ("22:00-07:00", "Asia/Shanghai")
    assert values["PUSH_MAX_ATTEMPTS"] == 5
    assert {"prompt-checkins", "monthly-report-reminders", "dispatch-due-reminders"} <= set(values["BEAT"])


def test_fcm_and_quiet_hours_are_configured_from_the_environment(tmp_path: Path) -> None:
    credentials = tmp_path / "fcm.json"
    credentials.write_text("{}")
    values = load(
        tmp_path,
        PUSH_TRANSPORT="fcm",
        FCM_CREDENTIALS_FILE=str(credentials),
        FCM_PROJECT_ID="county",
        FCM_DRY_RUN="true",
        QUIET_HOURS="21:30-06:30",
        PUSH_MAX_ATTEMPTS="3",
    )
    assert (values["PUSH_TRANSPORT"], values["FCM_CREDENTIALS_FILE"], values["FCM_PROJECT_ID"]) == (
        "fcm",
        str(credentials),
        "county",
    )
    assert values["FCM_DRY_RUN"] is True and values["QUIET_HOURS"] == "21:30-06:30"
    assert values["PUSH_MAX_ATTEMPTS"] == 3
    assert load(tmp_path, QUIET_HOURS="off")["QUIET_HOURS"] == "off"


def test_malformed_push_settings_stop_start_up(tmp_path: Path) -> None:
    assert "FCM_CREDENTIALS_FILE" in refusal(tmp_path, PUSH_TRANSPORT="fcm")
    assert "QUIET_HOURS" in refusal(tmp_path, QUIET_HOURS="10pm-7am")
    assert "QUIET_HOURS_TIME_ZONE" in refusal(tmp_path, QUIET_HOURS_TIME_ZONE="Mars/Olympus")
    assert "FCM_DRY_RUN" in refusal(tmp_path, FCM_DRY_RUN="maybe")
    assert "PUSH_MAX_ATTEMPTS" in refusal(tmp_path, PUSH_MAX_ATTEMPTS="0")
