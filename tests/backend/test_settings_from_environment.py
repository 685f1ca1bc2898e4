"""Settings come from the environment: safe embedded defaults, real services when configured,
and a production mode that refuses to start half-configured.

Each case loads ``backend.config.settings`` in a fresh interpreter with a controlled environment
(only PATH, HOME and a temporary VAR_DIR, plus what the test sets), because settings are read once
per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PROJECT = Path(__file__).resolve().parents[2]
GOOD_KEY = "a-production-secret-key-for-tests-" + "x" * 40
PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": GOOD_KEY,
    "ALLOWED_HOSTS": "corrections.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
}

PRINT_SETTINGS = """
import django, json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
django.setup()
from django.conf import settings
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": settings.SECRET_KEY,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "DATABASE_ENGINE": settings.DATABASES["default"]["ENGINE"],
    "DATABASE_NAME": settings.DATABASES["default"]["NAME"],
    "DATABASE_HOST": settings.DATABASES["default"].get("HOST"),
    "DATABASE_OPTIONS": settings.DATABASES["default"].get("OPTIONS", {}),
    "CHANNEL_BACKEND": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "CHANNEL_CONFIG": settings.CHANNEL_LAYERS["default"].get("CONFIG", {}),
    "CACHE_BACKEND": settings.CACHES["default"]["BACKEND"],
    "CACHE_LOCATION": settings.CACHES["default"].get("LOCATION"),
    "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
    "CELERY_TASK_ALWAYS_EAGER": settings.CELERY_TASK_ALWAYS_EAGER,
    "LANGUAGE_CODE": settings.LANGUAGE_CODE,
    "TIME_ZONE": settings.TIME_ZONE,
    "USE_TZ": settings.USE_TZ,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "DEMO_MODE": settings.DEMO_MODE,
}))
"""


def run_python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "VAR_DIR": str(tmp_path / "var"),
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def load_settings(tmp_path: Path, **env: str) -> dict[str, Any]:
    result = run_python(PRINT_SETTINGS, tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def refusal(tmp_path: Path, **env: str) -> str:
    """The ImproperlyConfigured message with which loading the settings stops."""
    result = run_python(PRINT_SETTINGS, tmp_path, **env)
    assert result.returncode != 0, f"the settings loaded with {env}"
    assert "ImproperlyConfigured" in result.stderr, result.stderr
    return result.stderr.strip().splitlines()[-1]


# ---------------------------------------------------------------------------------------------
# Embedded defaults and real services
# ---------------------------------------------------------------------------------------------


def test_with_nothing_set_it_runs_embedded_in_chinese_and_china_time(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings["DATABASE_ENGINE"] == "django.db.backends.sqlite3"
    assert settings["DATABASE_NAME"] == str(tmp_path / "var" / "db.sqlite3")
    assert settings["CHANNEL_BACKEND"] == "channels.layers.InMemoryChannelLayer"
    assert settings["CACHE_BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert settings["CELERY_TASK_ALWAYS_EAGER"] is True
    assert settings["CELERY_BROKER_URL"] == "memory://"
    assert settings["LANGUAGE_CODE"] == "zh-hans"
    assert settings["TIME_ZONE"] == "Asia/Shanghai"
    assert settings["USE_TZ"] is True
    assert settings["DEBUG"] is True
    assert settings["DEMO_MODE"] is True
    assert settings["SESSION_COOKIE_SECURE"] is False


def test_database_url_and_redis_url_switch_to_postgres_and_redis(tmp_path: Path) -> None:
    settings = load_settings(
        tmp_path,
        DATABASE_URL="postgres://cm:pw@db.internal:5432/cm",
        REDIS_URL="redis://cache.internal:6379/2",
        CHANNEL_CAPACITY="2500",
    )
    assert settings["DATABASE_ENGINE"] == "django.db.backends.postgresql"
    assert (settings["DATABASE_HOST"], settings["DATABASE_NAME"]) == ("db.internal", "cm")
    assert settings["CHANNEL_BACKEND"] == "backend.core.channel_layer.RedisChannelLayer"
    assert settings["CHANNEL_CONFIG"]["hosts"] == [
        {"address": "redis://cache.internal:6379/2", "socket_timeout": 30, "socket_connect_timeout": 5}
    ]
    assert settings["CHANNEL_CONFIG"]["capacity"] == 2500
    assert settings["CELERY_BROKER_URL"] == "redis://cache.internal:6379/2"
    assert settings["CELERY_RESULT_BACKEND"] == "redis://cache.internal:6379/2"
    assert settings["CELERY_TASK_ALWAYS_EAGER"] is False
    assert settings["CACHE_BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert settings["CACHE_LOCATION"] == "redis://cache.internal:6379/2"


def test_postgresql_sessions_run_without_jit_unless_the_url_sets_it(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, DATABASE_URL="postgres://cm:pw@db.internal:5432/cm")
    assert settings["DATABASE_OPTIONS"]["options"] == "-c jit=off"
    settings = load_settings(
        tmp_path, DATABASE_URL="postgres://cm:pw@db.internal:5432/cm?options=-c%20jit%3Don"
    )
    assert settings["DATABASE_OPTIONS"]["options"] == "-c jit=on"


def test_a_sqlite_database_url_gets_no_postgresql_options(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert "options" not in settings["DATABASE_OPTIONS"]


def test_the_redis_channel_layer_has_a_large_capacity_by_default(tmp_path: Path) -> None:
    # channels-redis drops group messages silently beyond its default of 100 per channel.
    settings = load_settings(tmp_path, REDIS_URL="redis://127.0.0.1:6379/0")
    assert settings["CHANNEL_CONFIG"]["capacity"] >= 1000


# ---------------------------------------------------------------------------------------------
# Production refuses to start half-configured
# ---------------------------------------------------------------------------------------------


def test_production_starts_with_a_complete_configuration(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, **PRODUCTION)
    assert settings["DEBUG"] is False
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["DEMO_MODE"] is False
    assert settings["ALLOWED_HOSTS"] == ["corrections.example.org"]


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    assert "SECRET_KEY" in refusal(tmp_path, **env)


def test_production_refuses_a_short_secret_key(tmp_path: Path) -> None:
    message = refusal(tmp_path, **{**PRODUCTION, "SECRET_KEY": "too-short-0123456789"})
    assert "SECRET_KEY" in message and "50" in message


def test_production_refuses_to_start_without_allowed_hosts(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "ALLOWED_HOSTS"}
    assert "ALLOWED_HOSTS" in refusal(tmp_path, **env)


def test_production_refuses_to_start_without_a_database_url(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "DATABASE_URL"}
    assert "DATABASE_URL" in refusal(tmp_path, **env)


def test_production_refuses_insecure_cookies(tmp_path: Path) -> None:
    assert "SECURE_COOKIES" in refusal(tmp_path, **PRODUCTION, SECURE_COOKIES="0")


def test_production_refuses_debug(tmp_path: Path) -> None:
    assert "DEBUG" in refusal(tmp_path, **PRODUCTION, DEBUG="1")


def test_an_unknown_django_env_is_refused(tmp_path: Path) -> None:
    assert "DJANGO_ENV" in refusal(tmp_path, DJANGO_ENV="prod")


def test_the_secret_key_is_read_from_secret_key_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret_key"
    secret.write_text(GOOD_KEY + "-from-file\n", encoding="utf-8")
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    settings = load_settings(tmp_path, **env, SECRET_KEY_FILE=str(secret))
    assert settings["SECRET_KEY"] == GOOD_KEY + "-from-file"  # the trailing newline is stripped


def test_an_unreadable_secret_key_file_stops_start_up_naming_the_variable(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    message = refusal(tmp_path, **env, SECRET_KEY_FILE=str(tmp_path / "missing"))
    assert "SECRET_KEY_FILE" in message


# ---------------------------------------------------------------------------------------------
# Malformed values stop start-up, naming the variable
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variable, value",
    [
        ("DEBUG", "maybe"),
        ("SECURE_COOKIES", "sometimes"),
        ("CHANNEL_CAPACITY", "abc"),
        ("SESSION_COOKIE_AGE", "12h"),
        ("CHANNEL_CAPACITY", "10"),
    ],
)
def test_a_malformed_value_stops_start_up_with_a_message_naming_the_variable(
    variable: str, value: str, tmp_path: Path
) -> None:
    message = refusal(tmp_path, **{variable: value})
    assert variable in message
    assert repr(value) in message or value in message


# ---------------------------------------------------------------------------------------------
# Deploy checks
# ---------------------------------------------------------------------------------------------


def test_production_settings_pass_the_deploy_checks(tmp_path: Path) -> None:
    # check does not connect to the database, so no PostgreSQL needs to listen there.
    code = (
        "import sys; sys.argv = ['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'];"
        "from django.core.management import execute_from_command_line; execute_from_command_line(sys.argv)"
    )
    result = run_python(code, tmp_path, **PRODUCTION, DJANGO_SETTINGS_MODULE="backend.config.settings")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_the_deploy_checks_catch_a_weakened_production_setting(tmp_path: Path) -> None:
    # Proves the test above would notice: HSTS off is a deploy warning, and WARNING fails the check.
    code = (
        "import sys; sys.argv = ['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'];"
        "from django.core.management import execute_from_command_line; execute_from_command_line(sys.argv)"
    )
    result = run_python(
        code,
        tmp_path,
        **PRODUCTION,
        SECURE_HSTS_SECONDS="0",
        DJANGO_SETTINGS_MODULE="backend.config.settings",
    )
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout
