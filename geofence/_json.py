"""The JSON value type shared by every ``to_dict`` in the package."""

from __future__ import annotations

from typing import TypeAlias

JSON: TypeAlias = "str | int | float | bool | list[JSON] | dict[str, JSON] | None"
JSONDict: TypeAlias = "dict[str, JSON]"
