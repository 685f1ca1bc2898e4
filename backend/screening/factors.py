"""The factor registry: where a screening gets the facts behind each factor of the rule table.

A *factor* is a named count about a person over the screened quarter (alerts of some kinds,
overdue episodes, sanctions…). The rule table names factors by ``code`` and gives their weights;
the registry says where each code's data comes from. A code the rule table names and nobody has
registered is "no data" for everyone, and counts towards their missing factors (too many and
the person is *incomplete*, never *low*).

Registering a factor (in an ``AppConfig.ready``)::

    from backend.screening.factors import Chunk, register_factor
    from django.utils.translation import gettext_lazy as _

from backend.screening.rules import Fact, PersonKind

    def sanctions(chunk: Chunk) -> dict[int, Fact]:
        rows = (Sanction.objects.filter(subject_id__gte=chunk.first_id, subject_id__lte=chunk.last_id,
                                        decided_at__gte=chunk.window_start,
                                        decided_at__lt=chunk.window_end)
                .values("subject_id", "kind").annotate(n=Count("id")))
        found = {pid: {} for pid in chunk.person_ids}        # data for everyone: zero is a fact
        for row in rows:
            found[row["subject_id"]][row["kind"]] = row["n"]
        return {pid: Fact(value=sum(kinds.values()), facts=kinds) for pid, kinds in found.items()}

    register_factor("sanctions", label=_("sanctions (训诫/警告)"), description=_("…"),
                    kinds={PersonKind.SUBJECT}, source="archives", compute=sanctions)

The contract of ``compute``:

* It is called once per chunk of people (``Chunk``: one kind of person, up to a few thousand
  ids, the quarter's window) and must answer in a few set-based queries over the whole chunk,
  never a query per person: a screening of the county is 100,000 people. Select the chunk by
  its id range (``subject_id__gte=chunk.first_id, subject_id__lte=chunk.last_id`` with
  ``GROUP BY``): an ``IN`` list of thousands of ids costs more to send than the query to run.
  Answers for ids in the range but not in ``person_ids`` are ignored.
* It returns ``{person_id: Fact(value, facts)}``. ``value`` is the number compared with the rule
  table's cuts (≥ 0); ``facts`` is a small JSON-able dict shown to staff as the reason (counts by
  kind, dates). A person left out of the answer has *no data* for this factor (the source cannot
  speak about them, e.g. no phone during the quarter); a person the source knows and found
  nothing about must be answered with ``value=0``.
* It only reads. Several factors that read the same rows share one query through
  ``chunk.memo(key, fn)``.
* It must not depend on the time it runs beyond ``chunk.window_end`` / ``chunk.as_of``: a chunk
  re-run after a worker died must give the same answer.

Which floor registers: a module *above* screening (archives) calls ``register_factor`` in its
own ``ready()``. A module *below* (casework, education, resettlement) may not import screening;
its factor is a module of this app that reads its models (screening may import the floors below),
registered in ``ScreeningConfig.ready``. ``monitoring_factors.py`` is the example.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from backend.screening.rules import Fact, PersonKind


@dataclass
class Chunk:
    """The people one call of a factor's ``compute`` covers."""

    kind: str  # a PersonKind value
    person_ids: list[int]  # ascending; every one between first_id and last_id
    first_id: int
    last_id: int
    window_start: dt.datetime
    window_end: dt.datetime
    as_of: dt.datetime
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per chunk under ``key`` (factors sharing one query)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


Compute = Callable[[Chunk], Mapping[int, Fact]]


@dataclass(frozen=True)
class Factor:
    code: str
    label: Any  # a lazy translation
    description: Any
    kinds: frozenset[str]
    source: str
    compute: Compute


_factors: dict[str, Factor] = {}

# The factors the default rule table names whose data lives in modules not yet registered.
# Shown to staff with their label as "no data" (until a module registers the code).
KNOWN_ABSENT: dict[str, tuple[Any, str]] = {
    "sanctions": (_("sanctions (reprimands, warnings)"), "archives"),
    "education_attendance": (_("missed education sessions"), "education"),
    "resettlement_visits": (_("missed resettlement visits"), "resettlement"),
}


def register_factor(
    code: str,
    *,
    label: Any,
    description: Any,
    kinds: Collection[str],
    source: str,
    compute: Compute,
) -> None:
    """Register (or replace, by code) where factor ``code`` gets its facts."""
    unknown = set(kinds) - set(PersonKind.values)
    if not code.isidentifier() or unknown or not kinds:
        raise ValueError(f"bad factor registration {code!r} (kinds {sorted(kinds)})")
    _factors[code] = Factor(
        code=code,
        label=label,
        description=description,
        kinds=frozenset(kinds),
        source=source,
        compute=compute,
    )


def unregister_factor(code: str) -> None:
    """Forget a factor (tests)."""
    _factors.pop(code, None)


def registered_factors() -> dict[str, Factor]:
    return dict(_factors)


def factor_for(code: str, kind: str) -> Factor | None:
    """The registered source of ``code`` for people of ``kind``, or ``None`` (no data)."""
    factor = _factors.get(code)
    return factor if factor is not None and kind in factor.kinds else None
