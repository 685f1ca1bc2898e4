"""Limits every JSON input obeys, before and after it becomes Python objects.

Two rules, one place, used by the API's parser and the console's websocket:

* **Depth.** ``json.loads`` recurses once per nesting level, so a body of ``[[[[…`` 100,000 deep
  ends in ``RecursionError`` (a 500) after allocating every level. ``json_depth`` measures the
  nesting on the raw text first, vectorised (no Python loop over the characters), so a deep
  body is refused before any object is built. Nothing we accept nests deeper than a GeoJSON
  MultiPolygon inside a request (about 7 levels); ``MAX_JSON_DEPTH`` leaves room.
* **Text that cannot be stored.** JSON can spell a NUL (``\\u0000``, refused by PostgreSQL in
  text) and a lone UTF-16 surrogate (``\\ud800``, which no database encoding can hold and which
  fails when the text is encoded). ``text_problem`` says what is wrong with one string;
  ``find_bad_text`` walks a decoded value and names the first offending field by its path.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

MAX_JSON_DEPTH = 32

# A JSON string literal: what is inside one never counts as nesting.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
# The escapes that can produce a NUL or a surrogate half: only texts containing one are walked.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89abcdefABCDEF][0-9a-fA-F]{2})")
_SURROGATE_OR_NUL = re.compile("[\x00\ud800-\udfff]")

_OPEN = np.zeros(256, np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


def json_depth(text: bytes | str) -> int:
    """The deepest nesting of arrays and objects in JSON ``text`` (0 for a scalar).

    Exact for valid JSON; for invalid JSON a number the parser will refuse anyway.
    """
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if b"[" not in raw and b"{" not in raw:
        return 0
    stripped = _STRING.sub(b"", raw) if b'"' in raw else raw
    steps = _OPEN[np.frombuffer(stripped, np.uint8)]
    if not steps.any():
        return 0
    return int(np.cumsum(steps, dtype=np.int64).max())


def too_deep_message() -> str:
    return _("The JSON is nested too deeply (at most %(n)d levels).") % {"n": MAX_JSON_DEPTH}


def may_hold_bad_text(raw: bytes | str) -> bool:
    """Whether JSON ``raw`` spells a NUL or a surrogate escape (a cheap test on the bytes)."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    return _SUSPECT_ESCAPE.search(data) is not None


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or ``None``: one rule for every text field."""
    found = _SURROGATE_OR_NUL.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return _("Null characters are not allowed.")
    return _("Surrogate characters are not allowed: %(char)s.") % {"char": f"U+{ord(found.group()):04X}"}


def find_bad_text(value: Any, path: str = "") -> tuple[str, str] | None:
    """``(field path, message)`` of the first string (value or key) in ``value`` that cannot be
    stored, or ``None``. Paths are dotted as in the API's error shape (``checkins.3.provider``)."""
    if isinstance(value, str):
        problem = text_problem(value)
        return None if problem is None else (path or "non_field_errors", problem)
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            problem = text_problem(key)
            if problem is not None:
                return (path or "non_field_errors", problem)
            found = find_bad_text(item, name)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = find_bad_text(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None
