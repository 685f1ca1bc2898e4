"""No backend module outside migrations grows past 500 lines: a module that long holds more than
one job, and the next change to it needs a reader to hold all of them at once."""

from __future__ import annotations

from pathlib import Path

BACKEND = Path(__file__).resolve().parent.parent / "backend"
LIMIT = 500


def test_no_backend_module_is_over_the_limit() -> None:
    long = {
        str(path.relative_to(BACKEND)): n
        for path in BACKEND.rglob("*.py")
        if "migrations" not in path.parts
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert not long, f"split these by concern: {long}"
