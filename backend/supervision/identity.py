"""Chinese resident identity numbers (GB 11643-1999): validation and masking; phone numbers and names
masked where the full one is not needed."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_noop

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def id_number_problem(value: str) -> str | None:
    """Why ``value`` is not a valid 18-character identity number, or ``None`` if it is."""
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return gettext_noop("must be 18 characters: 17 digits and a final digit or X")
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return gettext_noop("contains an impossible date of birth")
    if check_digit(value[:17]) != value[17]:
        return gettext_noop("has a wrong check digit")
    return None


def _keep_ends(value: str, head: int) -> str:
    """``value`` with all but its first ``head`` and last four characters starred; all of it
    starred when shorter than eight."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - 4) + value[-4:]


def mask_id_number(value: str) -> str:
    """Keep the region code's first digits and the last four: 370686********123X."""
    return _keep_ends(value, 6)


def mask_phone(value: str) -> str:
    """Keep the first three and the last four characters: 138****5678 (enough to tell people apart
    on a list; the full number is on the person's own record)."""
    return _keep_ends(value, 3)


def mask_name(value: str) -> str:
    """Keep the first character (the surname, mostly): 张*, 欧***. For text that leaves the
    project's servers (a push through FCM or Huawei), where the reader opens the record to see more."""
    return value[:1] + "*" * (len(value) - 1) if len(value) > 1 else "*" * len(value)
