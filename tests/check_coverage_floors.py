"""Check the coverage of each package against its floor in pyproject.toml, after ``make test``.

coverage.py has one ``fail_under`` for the whole report; the floors per package live in
``[tool.corrections-monitor.coverage-floors]`` and are checked here, one report per package, on the
data file the test run wrote (``[tool.coverage.run] data_file``, or the one given as argument).
Prints one line per package and exits 1 when any is below its floor or was not measured at all.

    .venv/bin/python tests/check_coverage_floors.py [DATA_FILE]
"""

from __future__ import annotations

import io
import sys
import tomllib
from pathlib import Path

import coverage
from coverage.exceptions import NoDataError

ROOT = Path(__file__).resolve().parent.parent


def floors() -> dict[str, float]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {str(k): float(v) for k, v in config["tool"]["corrections-monitor"]["coverage-floors"].items()}


def main(argv: list[str]) -> int:
    # ``data_file=None`` would mean no data file at all: the configured one is the default.
    options = {"data_file": argv[0]} if argv else {}
    cov = coverage.Coverage(config_file=str(ROOT / "pyproject.toml"), **options)
    cov.load()
    if not cov.get_data().measured_files():
        print(f"no coverage data in {cov.config.data_file}: run `make test` first", file=sys.stderr)
        return 2
    failed = []
    print(f"{'package':<22} {'coverage':>8} {'floor':>6}")
    for package, floor in floors().items():
        try:
            # The report itself goes nowhere: the total is what is checked.
            percent = cov.report(include=[str(ROOT / package / "*")], file=io.StringIO())
        except NoDataError:
            percent = 0.0
        below = percent < floor
        if below:
            failed.append(package)
        print(f"{package:<22} {percent:>7.1f}% {floor:>5.0f}%{'  BELOW THE FLOOR' if below else ''}")
    if failed:
        print(
            f"coverage below the floor in: {', '.join(failed)} (see `.venv/bin/coverage report -m "
            f"--include='{failed[0]}/*'`)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
