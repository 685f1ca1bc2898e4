"""The rule table and how a person's score follows from it (pure functions, no database).

A rule table is data staff can read (``RuleTable.rules``, versioned; changed in the admin by
saving a new version). For each kind of person it lists the factors that count, each with a
weight and its cut points, the band thresholds, and how many factors may lack data before the
score means nothing::

    {"subject": {"factors": [{"code": "lost_contact_episodes", "weight": 3, "cuts": [1, 2, 4]}, ...],
                 "bands": {"medium": 6, "high": 15},
                 "max_missing": 3},
     "released": {...}}

A factor's *value* (a count: alerts in the quarter, overdue episodes…) earns one *point* per cut
it reaches (``cuts`` ascending: a value of 3 against ``[1, 3, 6]`` earns 2 points); its
*contribution* is points × weight; the *score* is the sum of the contributions. The band is
``high`` from ``bands.high``, ``medium`` from ``bands.medium``, else ``low`` — unless more than
``max_missing`` factors had no data for the person: then the band is ``incomplete`` (a score
made of silence is not a low risk). This is the whole rule; ``score_person`` applies it and
keeps every step in the row so staff see why a person got their score.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class PersonKind(models.TextChoices):
    SUBJECT = "subject", _("corrections subject")
    RELEASED = "released", _("released person")


class Band(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")
    INCOMPLETE = "incomplete", _("incomplete (too many factors without data)")


BAND_ORDER = {Band.LOW: 0, Band.MEDIUM: 1, Band.HIGH: 2}
MAX_WEIGHT = 100
MAX_CUTS = 10
MAX_CUT = 1_000_000
MAX_FACTORS = 50


@dataclass(frozen=True)
class Fact:
    """What a factor found for one person: the value compared with the cuts, and the facts behind it."""

    value: float
    facts: Mapping[str, Any]


def rule_problems(rules: Any) -> list[str]:
    """Why ``rules`` is not a usable rule table (English messages, one per problem), or ``[]``."""
    if not isinstance(rules, dict):
        return ["the rule table must be an object keyed by person kind"]
    problems: list[str] = []
    unknown = set(rules) - set(PersonKind.values)
    if unknown:
        problems.append(f"unknown person kinds: {', '.join(sorted(map(str, unknown)))}")
    for kind in PersonKind.values:
        section = rules.get(kind)
        if not isinstance(section, dict):
            problems.append(f"{kind}: missing (an object with factors, bands and max_missing)")
            continue
        factors = section.get("factors")
        if not isinstance(factors, list) or not 1 <= len(factors) <= MAX_FACTORS:
            problems.append(f"{kind}.factors: a list of 1 to {MAX_FACTORS} factors")
            factors = []
        seen: set[str] = set()
        for index, factor in enumerate(factors):
            where = f"{kind}.factors.{index}"
            if not isinstance(factor, dict) or set(factor) != {"code", "weight", "cuts"}:
                problems.append(f"{where}: exactly code, weight and cuts")
                continue
            code, weight, cuts = factor["code"], factor["weight"], factor["cuts"]
            if not isinstance(code, str) or not code.isidentifier() or len(code) > 40:
                problems.append(f"{where}.code: a name of letters, digits and _ (at most 40)")
            elif code in seen:
                problems.append(f"{where}.code: {code} appears twice")
            else:
                seen.add(code)
            if not _is_number(weight) or not 0 < weight <= MAX_WEIGHT:
                problems.append(f"{where}.weight: a number above 0 and at most {MAX_WEIGHT}")
            if (
                not isinstance(cuts, list)
                or not 1 <= len(cuts) <= MAX_CUTS
                or not all(_is_number(c) and 0 < c <= MAX_CUT for c in cuts)
                or any(a >= b for a, b in itertools.pairwise(cuts))
            ):
                problems.append(f"{where}.cuts: 1 to {MAX_CUTS} increasing numbers above 0")
        bands = section.get("bands")
        if (
            not isinstance(bands, dict)
            or set(bands) != {"medium", "high"}
            or not all(_is_number(v) and v > 0 for v in bands.values())
            or bands["medium"] >= bands["high"]
        ):
            problems.append(f"{kind}.bands: medium and high, numbers above 0, medium below high")
        max_missing = section.get("max_missing")
        if isinstance(max_missing, bool) or not isinstance(max_missing, int) or max_missing < 0:
            problems.append(f"{kind}.max_missing: a whole number, 0 or more")
    return problems


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def points_for(value: float, cuts: list[float]) -> int:
    return sum(1 for cut in cuts if value >= cut)


@dataclass(frozen=True)
class Scored:
    score: float
    band: str
    missing: int
    factors: list[dict[str, Any]]
    summary: str  # the factors that count or lack data: ``code=value:points:weight;code=-``


def score_person(section: Mapping[str, Any], facts: Mapping[str, Fact | None]) -> Scored:
    """One person's score under a rule table's ``section`` for their kind.

    ``facts`` maps each factor code to what its source found, or ``None`` (no data: no source is
    registered for the code, or the source knows nothing of this person).
    """
    rows: list[dict[str, Any]] = []
    summary: list[str] = []
    score = 0.0
    missing = 0
    for factor in section["factors"]:
        code, weight = factor["code"], factor["weight"]
        fact = facts.get(code)
        if fact is None:
            missing += 1
            rows.append({"code": code, "weight": weight, "no_data": True})
            summary.append(f"{code}=-")
            continue
        points = points_for(fact.value, factor["cuts"])
        contribution = points * weight
        score += contribution
        if fact.value:
            summary.append(f"{code}={fact.value:g}:{points}:{weight:g}")
        rows.append(
            {
                "code": code,
                "weight": weight,
                "value": fact.value,
                "points": points,
                "contribution": contribution,
                "facts": dict(fact.facts),
            }
        )
    if missing > section["max_missing"]:
        band = Band.INCOMPLETE
    elif score >= section["bands"]["high"]:
        band = Band.HIGH
    elif score >= section["bands"]["medium"]:
        band = Band.MEDIUM
    else:
        band = Band.LOW
    return Scored(score=score, band=str(band), missing=missing, factors=rows, summary=";".join(summary))


def review_reasons(band: str, previous_band: str | None) -> list[str]:
    """Why staff must look at this person: a high band, an incomplete score, a band that rose."""
    reasons: list[str] = []
    if band == Band.HIGH:
        reasons.append("high")
    if band == Band.INCOMPLETE:
        reasons.append("incomplete")
    if (
        previous_band in BAND_ORDER
        and band in BAND_ORDER
        and BAND_ORDER[Band(band)] > BAND_ORDER[Band(previous_band)]
        and band != Band.HIGH
    ):
        reasons.append("rose")
    return reasons


# The table the migration seeds as version 1. Monitoring's factors come from this app; sanctions,
# education attendance and resettlement visits have no data until their modules register a source.
DEFAULT_RULES: dict[str, Any] = {
    "subject": {
        "factors": [
            {"code": "zone_alerts", "weight": 2, "cuts": [1, 3, 6]},
            {"code": "device_alerts", "weight": 2, "cuts": [1, 3, 6]},
            {"code": "overdue_episodes", "weight": 1, "cuts": [2, 5, 10]},
            {"code": "lost_contact_episodes", "weight": 3, "cuts": [1, 2, 4]},
            {"code": "curfew_violations", "weight": 2, "cuts": [1, 3, 6]},
            {"code": "leave_violations", "weight": 3, "cuts": [1, 2, 3]},
            {"code": "unacknowledged_reminders", "weight": 1, "cuts": [3, 10, 20]},
            {"code": "unreachable_phone", "weight": 2, "cuts": [1, 2, 4]},
            {"code": "sanctions", "weight": 3, "cuts": [1, 2, 3]},
            {"code": "education_attendance", "weight": 1, "cuts": [1, 3, 6]},
        ],
        "bands": {"medium": 6, "high": 15},
        "max_missing": 3,
    },
    "released": {
        "factors": [
            {"code": "key_person", "weight": 3, "cuts": [1]},
            {"code": "handover_overdue", "weight": 3, "cuts": [1]},
            {"code": "resettlement_visits", "weight": 2, "cuts": [1, 2, 3]},
            {"code": "education_attendance", "weight": 1, "cuts": [1, 3, 6]},
        ],
        "bands": {"medium": 3, "high": 6},
        "max_missing": 2,
    },
}
