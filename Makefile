# corrections-monitor: `make run` serves the demo county, `make test` runs the fast suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
MANAGE := $(PY) backend/manage.py
# Real services for the integration tests and the benchmarks (override to point elsewhere).
PG_URL ?= postgres://postgres@127.0.0.1:5432/corrections_monitor
# A database that exists, for benchmarks that create and drop databases of their own.
PG_ADMIN_URL ?= postgres://postgres@127.0.0.1:5432/postgres
REDIS_TEST_URL ?= redis://127.0.0.1:6379/0
# The fast suite runs on every core (pytest-xdist); TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto

.PHONY: help setup run test test-integration fuzz fuzz-full bench lint lint-types spec messages clean audit-deps

help:
	@echo "make run               set up, migrate, load the demo county, serve on http://$(HOST):$(PORT)/"
	@echo "make test              set up and run the fast test suite"
	@echo "make test-integration  tests against real PostgreSQL, Redis, a Celery worker and Chromium"
	@echo "make fuzz              schemathesis over every operation of the spec, against gunicorn on PostgreSQL (CI size)"
	@echo "make fuzz-full         the same with 100 examples per operation and every phase"
	@echo "make bench             benchmarks (geofence engine, check-in ingestion, alert latency)"
	@echo "make lint              ruff, mypy and the import contracts (lint-imports)"
	@echo "make lint-types        mypy: backend with the Django and DRF plugins, geofence and notifications strict"
	@echo "make audit-deps        pip-audit: known vulnerabilities in the installed dependencies"
	@echo "make spec              regenerate mobile_api_spec/openapi.yaml from the code"

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

setup: $(VENV)/.installed
	@if command -v msgfmt >/dev/null; then $(MANAGE) compilemessages --ignore='.venv/*' -v0; fi

run: setup
	@$(MANAGE) migrate --no-input -v0
	@$(MANAGE) load_demo
	@echo
	@echo "  Console:   http://$(HOST):$(PORT)/console/"
	@echo "  Admin:     http://$(HOST):$(PORT)/admin/"
	@echo "  API docs:  http://$(HOST):$(PORT)/api/docs/"
	@echo
	@$(VENV)/bin/uvicorn backend.config.asgi:application --host $(HOST) --port $(PORT) --no-access-log --ws-max-size 65536

# Coverage goes to test-artifacts/coverage/fast; each package is then held to its floor in pyproject.toml.
test: setup
	@$(VENV)/bin/pytest -m "not integration" -q -n $(TEST_WORKERS) --cov --cov-report=
	@$(PY) tests/check_coverage_floors.py

# The unit suite once more on PostgreSQL, then the integration tests against the real services.
# The PostgreSQL run's coverage (the code behind `connection.vendor == "postgresql"`) goes to
# test-artifacts/coverage/postgresql and is combined with `make test`'s into .../combined; read it
# with `.venv/bin/coverage report -m --data-file=test-artifacts/coverage/combined`.
test-integration: setup
	@COVERAGE_FILE=test-artifacts/coverage/postgresql DATABASE_URL=$(PG_URL) CELERY_TASK_ALWAYS_EAGER=1 \
		$(VENV)/bin/pytest -m "not integration" -q -n $(TEST_WORKERS) --cov --cov-report= tests/backend
	@$(VENV)/bin/coverage combine --quiet --keep --data-file=test-artifacts/coverage/combined \
		$$(ls test-artifacts/coverage/fast test-artifacts/coverage/postgresql 2>/dev/null)
	@DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) $(VENV)/bin/pytest -m integration -q -rs -o timeout=300 tests/integration

# Schemathesis over every operation of mobile_api_spec/openapi.yaml as staff and as an enrolled phone,
# against gunicorn (production settings) on a PostgreSQL database of its own; reports in test-artifacts/fuzz/.
# `make fuzz` is the CI size (FUZZ_MAX_EXAMPLES examples per operation, no coverage phase);
# `make fuzz-full` is the full one: 100 examples per operation and every phase.
FUZZ_MAX_EXAMPLES ?= 10
FUZZ_PHASES ?= examples,fuzzing,stateful
fuzz: setup
	@FUZZ_MAX_EXAMPLES=$(FUZZ_MAX_EXAMPLES) FUZZ_PHASES=$(FUZZ_PHASES) DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) \
		$(VENV)/bin/pytest -m integration -q -rs tests/fuzz

fuzz-full: setup
	@FUZZ_MAX_EXAMPLES=100 FUZZ_PHASES= DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) \
		$(VENV)/bin/pytest -m integration -q -rs tests/fuzz

bench: setup
	@$(PY) benchmarks/geofence_bench.py
	@if [ -f benchmarks/checkin_bench.py ]; then DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) $(PY) benchmarks/checkin_bench.py; fi
	@DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) $(PY) benchmarks/screening_bench.py
	@DATABASE_URL=$(PG_URL) $(PY) benchmarks/education_bench.py
	@BENCH_PG_ADMIN_URL=$(PG_ADMIN_URL) $(PY) benchmarks/archive_bench.py

lint: setup
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(MAKE) --no-print-directory lint-types
	@$(VENV)/bin/lint-imports

# The settings of each package are in pyproject.toml ([tool.mypy]): geofence and notifications strict.
# Known vulnerabilities in the installed dependencies (PyPI's advisory data, pip-audit). --strict
# also fails when a dependency could not be checked: a mirror without the advisory API audits nothing.
PIP_AUDIT_FLAGS ?= --strict
audit-deps: setup
	@$(VENV)/bin/pip-audit --skip-editable --progress-spinner off $(PIP_AUDIT_FLAGS)

lint-types: setup
	@$(VENV)/bin/mypy backend geofence notifications


spec: setup
	@$(MANAGE) spectacular --lang en --file mobile_api_spec/openapi.yaml --validate --fail-on-warn

messages: setup
	@cd backend && ../$(PY) manage.py makemessages -l zh_Hans -l en --ignore='static/*' && ../$(PY) manage.py makemessages -d djangojs -l zh_Hans -l en

clean:
	rm -rf $(VENV) var
