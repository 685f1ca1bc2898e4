"""The README stays true: its configuration table names every variable the settings read."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_environment_variable_is_in_the_configuration_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1]
    sources = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "backend" / "config").glob("*.py"))
    names = set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z0-9_]+)"', sources))
    assert names, "no settings found; did the env helpers change?"
    missing = sorted(name for name in names if f"`{name}`" not in table)
    assert not missing, f"README configuration table lacks: {missing}"


def test_the_readme_names_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_screen = readme[:3500]
    assert "make run" in first_screen and "make test" in first_screen
