"""docker-compose.yml refers only to things that exist, and its environment is one the settings read.

Docker does not run here, so these tests check the compose file against the project instead: the
services and their health checks, every command's module, executable and options, every variable
it sets, and (by running the real servers) that the health probes get a 200 from production settings.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from tests.integration.realservices import free_port

PROJECT = Path(__file__).resolve().parent.parent
COMPOSE = PROJECT / "docker-compose.yml"
BIN = Path(sys.executable).parent
APP_SERVICES = {"migrate", "web", "ws", "evaluator", "worker", "beat"}
EXPECTED_SERVICES = {"postgres", "redis", *APP_SERVICES}

# Values for the ${...} that Compose would take from .env.
SAMPLE_DOT_ENV = {
    "POSTGRES_PASSWORD": "compose-test-password",
    "ALLOWED_HOSTS": "corrections.example.org,.bureau.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://corrections.example.org",
}


def load_compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def services() -> dict[str, dict[str, Any]]:
    return load_compose()["services"]  # type: ignore[no-any-return]


def interpolate(value: str, dot_env: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error}, with $$ for a literal dollar."""

    def replace(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if dot_env.get(name):
            return dot_env[name]
        if op == ":?":
            raise AssertionError(f"${{{name}}} is required: {arg}")
        return arg or ""

    value = re.sub(r"\$\{([A-Z_][A-Z0-9_]*)(?:(:[-?])([^}]*))?\}", replace, value)
    return value.replace("$$", "$")


def service_environment(name: str, dot_env: dict[str, str] | None = None) -> dict[str, str]:
    env = services()[name].get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: interpolate(str(value), dot_env or SAMPLE_DOT_ENV) for key, value in env.items()}


def settings_variables() -> tuple[set[str], set[str]]:
    """Names the settings read, and those of them read with ``env_str`` (which also accepts NAME_FILE)."""
    source = "\n".join(
        path.read_text(encoding="utf-8") for path in (PROJECT / "backend" / "config").glob("*.py")
    )
    read = set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z][A-Z0-9_]*)"', source))
    read |= set(re.findall(r'os\.environ(?:\.get|\.setdefault)?[\[(]\s*"([A-Z][A-Z0-9_]*)"', source))
    with_file = set(re.findall(r'env_str\(\s*"([A-Z][A-Z0-9_]*)"', source))
    return read, with_file


# ---------------------------------------------------------------------------------------------
# Services and health
# ---------------------------------------------------------------------------------------------


def test_every_expected_service_is_defined() -> None:
    assert set(services()) >= EXPECTED_SERVICES, f"missing: {EXPECTED_SERVICES - set(services())}"


def test_the_databases_are_the_pinned_major_versions() -> None:
    assert services()["postgres"]["image"] == "postgres:16"
    assert services()["redis"]["image"] == "redis:7"
    assert "pgdata" in load_compose()["volumes"]
    assert any(str(volume).startswith("pgdata:") for volume in services()["postgres"]["volumes"])


def test_every_long_running_service_has_a_healthcheck() -> None:
    for name, service in services().items():
        if name == "migrate":
            continue
        test = (service.get("healthcheck") or {}).get("test")
        assert test, f"service {name} has no healthcheck"
    assert "pg_isready" in " ".join(services()["postgres"]["healthcheck"]["test"])
    assert services()["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]


def test_migrate_runs_once_and_the_app_services_wait_for_it() -> None:
    migrate = services()["migrate"]
    assert migrate["command"] == ["python", "backend/manage.py", "migrate", "--no-input"]
    assert str(migrate.get("restart")) == "no", "a one-shot service must not be restarted"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in APP_SERVICES - {"migrate"}:
        depends = services()[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name


def test_the_app_services_are_built_from_the_dockerfile_as_a_non_root_user() -> None:
    for name in APP_SERVICES:
        assert services()[name].get("build") == ".", name
    dockerfile = (PROJECT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.M)
    assert re.search(r"^RUN pip install \.$", dockerfile, re.M)
    assert "collectstatic" in dockerfile
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] not in {"root", "0"}, "the image must end as an unprivileged user"


# ---------------------------------------------------------------------------------------------
# Commands refer to things that exist
# ---------------------------------------------------------------------------------------------


def click_options(command: click.Command) -> set[str]:
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}


def options_in(args: list[str]) -> set[str]:
    return {arg.split("=", 1)[0] for arg in args if arg.startswith("-")}


def assert_importable_attribute(target: str) -> None:
    module_name, _, attribute = target.partition(":")
    assert importlib.util.find_spec(module_name) is not None, f"{module_name} is not importable"
    module = importlib.import_module(module_name)
    assert hasattr(module, attribute), f"{module_name} has no attribute {attribute}"


def test_gunicorn_serves_an_existing_wsgi_application_with_known_options() -> None:
    from gunicorn.config import Config

    command = services()["web"]["command"]
    assert command[0] == "gunicorn" and (BIN / "gunicorn").exists()
    assert command[1] == "backend.config.wsgi:application"
    assert_importable_attribute(command[1])
    parsed = Config().parser().parse_args(command[1:])  # argparse exits on an unknown option
    assert parsed.workers == 4 and parsed.bind == ["0.0.0.0:8000"]


def test_gunicorn_reads_the_project_settings_in_the_image() -> None:
    """gunicorn reads ``gunicorn.conf.py`` from the directory it starts in: the image's WORKDIR
    must hold it, and its worker class must load."""
    from gunicorn.config import Config
    from gunicorn.util import load_class

    dockerfile = (PROJECT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^WORKDIR /app$", dockerfile, re.M)
    assert re.search(r"^COPY [^\n]*\bgunicorn\.conf\.py\b[^\n]* \./$", dockerfile, re.M)
    assert Config().settings["config"].get() == "./gunicorn.conf.py"
    settings: dict[str, object] = {}
    exec((PROJECT / "gunicorn.conf.py").read_text(encoding="utf-8"), settings)  # as gunicorn does
    from backend.config.gunicorn_worker import SyncWorker

    assert load_class(settings["worker_class"]) is SyncWorker


def test_uvicorn_serves_an_existing_asgi_application_with_known_options() -> None:
    import uvicorn

    command = services()["ws"]["command"]
    assert command[0] == "uvicorn" and (BIN / "uvicorn").exists()
    assert command[1] == "backend.config.asgi:application"
    assert_importable_attribute(command[1])
    context = uvicorn.main.make_context("uvicorn", command[1:])
    assert context.params["host"] == "0.0.0.0" and context.params["port"] == 8001


@pytest.mark.parametrize("service, subcommand", [("worker", "worker"), ("beat", "beat")])
def test_celery_runs_the_project_app_with_known_options(service: str, subcommand: str) -> None:
    from celery import Celery
    from celery.bin.celery import celery

    command = services()[service]["command"]
    assert command[:3] == ["celery", "-A", "backend.config.celery_app"] and (BIN / "celery").exists()
    assert isinstance(importlib.import_module("backend.config.celery_app").app, Celery)
    assert command[3] == subcommand
    sub = celery.get_command(click.Context(celery), subcommand)
    assert sub is not None
    unknown = options_in(command[4:]) - click_options(sub)
    assert not unknown, f"celery {subcommand} has no option {unknown}"


def test_migrate_is_a_management_command_that_accepts_its_options() -> None:
    from django.core.management import get_commands, load_command_class

    command = services()["migrate"]["command"]
    assert (PROJECT / command[1]).is_file()
    assert command[2] in get_commands()
    parser = load_command_class(get_commands()[command[2]], command[2]).create_parser("manage.py", command[2])
    assert parser.parse_args(command[3:]).interactive is False


def test_the_evaluator_runs_the_management_command_in_queue_mode() -> None:
    from django.core.management import get_commands, load_command_class

    command = services()["evaluator"]["command"]
    assert command[:2] == ["python", "backend/manage.py"] and (PROJECT / command[1]).is_file()
    assert command[2] in get_commands()
    load_command_class(get_commands()[command[2]], command[2]).create_parser(
        "manage.py", command[2]
    ).parse_args(command[3:])
    # The API only stores uploads when the evaluator is there to evaluate them, and vice versa.
    assert service_environment("web")["CHECKIN_EVALUATION"] == "queue"
    assert service_environment("evaluator")["CHECKIN_EVALUATION"] == "queue"


def test_the_worker_healthcheck_pings_the_project_app() -> None:
    test = " ".join(services()["worker"]["healthcheck"]["test"])
    assert "celery -A backend.config.celery_app inspect ping" in test


# ---------------------------------------------------------------------------------------------
# Environment
# ---------------------------------------------------------------------------------------------


def test_every_variable_the_app_services_set_is_read_by_the_settings() -> None:
    read, with_file = settings_variables()
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS"} <= read, "settings parsing broke"
    for name in APP_SERVICES:
        for variable in service_environment(name):
            if variable.endswith("_FILE"):
                assert variable.removesuffix("_FILE") in with_file, (
                    f"{name}: {variable} is not read as a file"
                )
            else:
                assert variable in read, f"{name}: the settings never read {variable}"


def test_the_app_services_run_production_with_the_settings_production_requires() -> None:
    for name in APP_SERVICES:
        env = service_environment(name)
        assert env["DJANGO_ENV"] == "production", name
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"], (
            name
        )
        assert env["REDIS_URL"].startswith("redis://redis:6379"), name
        assert env["ALLOWED_HOSTS"], name
        assert "CSRF_TRUSTED_ORIGINS" in env, name
        assert "SECRET_KEY" not in env, (
            f"{name}: the secret key belongs in a secret file, not the environment"
        )


def test_the_secret_key_file_is_a_docker_secret_given_to_every_app_service() -> None:
    declared = load_compose()["secrets"]
    for name in APP_SERVICES:
        path = service_environment(name)["SECRET_KEY_FILE"]
        secret = path.removeprefix("/run/secrets/")
        assert path.startswith("/run/secrets/") and secret in declared, name
        assert secret in services()[name]["secrets"], f"{name} reads {path} but is not given the secret"


def test_compose_refuses_to_start_without_the_required_dot_env_values() -> None:
    with pytest.raises(AssertionError, match="POSTGRES_PASSWORD"):
        service_environment("web", {**SAMPLE_DOT_ENV, "POSTGRES_PASSWORD": ""})
    with pytest.raises(AssertionError, match="ALLOWED_HOSTS"):
        service_environment("web", {**SAMPLE_DOT_ENV, "ALLOWED_HOSTS": ""})


def test_the_database_password_is_the_one_postgres_is_created_with() -> None:
    password = service_environment("postgres")["POSTGRES_PASSWORD"]
    user = service_environment("postgres")["POSTGRES_USER"]
    database = service_environment("postgres")["POSTGRES_DB"]
    assert (
        service_environment("web")["DATABASE_URL"] == f"postgres://{user}:{password}@postgres:5432/{database}"
    )


def production_environment(service: str, tmp_path: Path) -> dict[str, str]:
    """The service's environment as the container sees it, with the secret in a temporary file."""
    secret = tmp_path / "django_secret_key"
    secret.write_text("k" * 20 + "-compose-test-secret-key-that-is-long-enough-for-production\n")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(PROJECT),
        **service_environment(service),
    }
    env["SECRET_KEY_FILE"] = str(secret)
    return env


def test_the_compose_environment_passes_the_deploy_checks(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "backend/manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT,
        env=production_environment("web", tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr + result.stdout


@pytest.mark.parametrize("service, port", [("web", 8000), ("ws", 8001)])
def test_the_healthcheck_probe_gets_ok_from_the_server_under_production_settings(
    service: str, port: int, tmp_path: Path
) -> None:
    """Starts the service's real server on a free port and runs its healthcheck against it."""
    local_port = free_port()
    command = [
        part.replace(f"0.0.0.0:{port}", f"127.0.0.1:{local_port}") for part in services()[service]["command"]
    ]
    if service == "ws":
        command = [{"0.0.0.0": "127.0.0.1", str(port): str(local_port)}.get(part, part) for part in command]
    command = [str(BIN / command[0]), *command[1:]]
    if service == "web":
        command += ["--workers", "1"]  # the last --workers wins; one is enough to answer a probe
    env = production_environment(service, tmp_path)
    server = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", local_port), timeout=0.2).close()
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
                assert time.monotonic() < deadline, "the server did not start listening"
                time.sleep(0.1)
        probe = [
            str(part).replace(f":{port}/", f":{local_port}/")
            for part in services()[service]["healthcheck"]["test"]
        ]
        assert probe[0] == "CMD" and probe[1] == "python"
        result = subprocess.run(
            [sys.executable, *probe[2:]], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 0, result.stderr
    finally:
        server.terminate()
        server.wait(timeout=15)
