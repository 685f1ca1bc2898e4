"""What is expected of each person now, kept in their monitoring state.

The check-in upload is one statement on PostgreSQL and must stay so: it cannot look up the
person's level policy, nor ask the modules above whether an order changes it. So the values the
upload and the silence checks need (check-in interval, grace before "overdue", threshold of
suspected loss of contact, sampling regime and interval) are copied into ``MonitorState`` and
recomputed (``recompute_expectations``) whenever what they come from changes:

- the level's policy (``supervision.signals.policy_changed``) and a person's level
  (``supervision.signals.level_changed``): monitoring listens to both;
- an order of a module above monitoring (an electronic positioning order, casework): that module
  registers an override (``register_expectation_override``) in its ``AppConfig.ready`` and calls
  ``recompute_expectations`` when its orders start, change or end (an order that ends by itself
  at a time: its periodic job calls it then).

An override is ``fn(subject) -> dict | None``; the dict may hold:

- ``checkin_interval``, ``overdue_grace``, ``lost_contact_after``: ``datetime.timedelta``; the
  shortest of the policy's and every override's wins;
- ``sampling_regime``: ``"continuous"`` (only under an active positioning order) or
  ``"verification"``; continuous wins;
- ``sampling_interval``: ``timedelta``, the interval of continuous sampling (shortest wins);
- ``source``: a short text saying why (shown in the admin), e.g. ``"positioning_order:12"``.

When a person's regime or sampling interval changes, the phone is told with a ``sampling``
command (``services.commands``): callers do not send it themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from backend.monitoring.models import MonitorState, PhoneCommand, SamplingRegime
from backend.monitoring.services.commands import send_command
from backend.supervision import rules
from backend.supervision.models import Subject

ExpectationOverride = Callable[[Subject], Mapping[str, Any] | None]
_overrides: list[ExpectationOverride] = []

DURATIONS = ("checkin_interval", "overdue_grace", "lost_contact_after")
OVERRIDE_KEYS = frozenset({*DURATIONS, "sampling_regime", "sampling_interval", "source"})
# Nobody is asked to upload more often than this, whatever an override says.
MIN_CHECKIN_INTERVAL = dt.timedelta(minutes=1)


def register_expectation_override(fn: ExpectationOverride) -> None:
    """Let ``fn`` change what is expected of a person (see the module text). Registering the same
    function twice keeps one."""
    if fn not in _overrides:
        _overrides.append(fn)


def unregister_expectation_override(fn: ExpectationOverride) -> None:
    if fn in _overrides:
        _overrides.remove(fn)


@dataclass(frozen=True)
class Expectations:
    checkin_interval: dt.timedelta
    overdue_grace: dt.timedelta
    lost_contact_after: dt.timedelta
    sampling_regime: str
    sampling_interval: dt.timedelta | None
    sources: tuple[str, ...]


def expectations_for(subject: Subject, known: dict[str, rules.Policy] | None = None) -> Expectations:
    """The person's level policy with every registered override applied."""
    policy = rules.policy_for(subject.supervision_level, known)
    values: dict[str, Any] = {name: getattr(policy, name) for name in DURATIONS}
    regime, sampling_interval = SamplingRegime.VERIFICATION, None
    sources = [f"level:{policy.level}"]
    for override in _overrides:
        found = override(subject)
        if not found:
            continue
        unknown = set(found) - OVERRIDE_KEYS
        if unknown:
            raise ValueError(f"unknown expectation keys {sorted(unknown)} from {override!r}")
        for name in DURATIONS:
            if found.get(name) is not None:
                values[name] = min(values[name], _duration(found[name], name))
        if found.get("sampling_regime") == SamplingRegime.CONTINUOUS:
            regime = SamplingRegime.CONTINUOUS
        elif found.get("sampling_regime") not in (None, SamplingRegime.VERIFICATION):
            raise ValueError(f"unknown sampling regime {found['sampling_regime']!r}")
        if found.get("sampling_interval") is not None:
            interval = _duration(found["sampling_interval"], "sampling_interval")
            sampling_interval = interval if sampling_interval is None else min(sampling_interval, interval)
        if found.get("source"):
            sources.append(str(found["source"])[:80])
    values["checkin_interval"] = max(values["checkin_interval"], MIN_CHECKIN_INTERVAL)
    if regime != SamplingRegime.CONTINUOUS:
        sampling_interval = None
    return Expectations(
        checkin_interval=values["checkin_interval"],
        overdue_grace=values["overdue_grace"],
        lost_contact_after=max(values["lost_contact_after"], values["overdue_grace"]),
        sampling_regime=regime,
        sampling_interval=sampling_interval,
        sources=tuple(sources),
    )


def _duration(value: Any, name: str) -> dt.timedelta:
    if not isinstance(value, dt.timedelta) or value <= dt.timedelta(0):
        raise ValueError(f"{name} must be a positive timedelta, not {value!r}")
    return value


def state_defaults(subject: Subject, now: dt.datetime) -> dict[str, Any]:
    """The fields of a new monitoring state: what is expected, and the first check-in due one
    interval from ``now``."""
    expected = expectations_for(subject)
    return {**_fields(expected), "next_checkin_due": now + expected.checkin_interval}


def _fields(expected: Expectations) -> dict[str, Any]:
    return {
        "checkin_interval": expected.checkin_interval,
        "overdue_grace": expected.overdue_grace,
        "lost_contact_after": expected.lost_contact_after,
        "sampling_regime": expected.sampling_regime,
        "sampling_interval": expected.sampling_interval,
        "expectation_sources": list(expected.sources),
    }


def sampling_payload(expected: Expectations) -> dict[str, Any]:
    """The ``sampling`` command telling the phone how to take fixes."""
    every = (
        expected.sampling_interval
        if expected.sampling_regime == SamplingRegime.CONTINUOUS and expected.sampling_interval
        else expected.checkin_interval
    )
    return {"regime": str(expected.sampling_regime), "interval_s": int(every.total_seconds())}


def recompute_expectations(subject_ids: Iterable[int]) -> int:
    """Copy what is now expected of these persons into their monitoring states; returns how many
    states changed. Safe to call often and twice.

    A shorter check-in interval brings the next due time forward to one new interval from now
    (never later than it was); a longer one leaves it. A changed regime or sampling interval
    is sent to the phone (a ``sampling`` command). Persons without a monitoring state (no phone
    ever enrolled) are skipped: theirs is made from the same values at enrollment.
    """
    ids = sorted({int(i) for i in subject_ids})
    if not ids:
        return 0
    known = rules.policies()
    now = timezone.now()
    changed = 0
    for subject in Subject.objects.filter(pk__in=ids):
        expected = expectations_for(subject, known)
        with transaction.atomic():
            state = MonitorState.objects.select_for_update().filter(subject=subject).first()
            if state is None:
                continue
            new = _fields(expected)
            told = sampling_payload(_stored(state)) != sampling_payload(expected)
            updates = {name: value for name, value in new.items() if getattr(state, name) != value}
            if (
                state.next_checkin_due is not None
                and state.next_checkin_due > now + expected.checkin_interval
            ):
                updates["next_checkin_due"] = now + expected.checkin_interval
            if not updates:
                continue
            MonitorState.objects.filter(pk=state.pk).update(**updates)
            changed += 1
            if told:
                payload = sampling_payload(expected)
                send_command(
                    subject,
                    PhoneCommand.Kind.SAMPLING,
                    payload,
                    dedupe_key=f"sampling:{now.isoformat()}:{payload['regime']}:{payload['interval_s']}",
                )
    return changed


def _stored(state: MonitorState) -> Expectations:
    return Expectations(
        checkin_interval=state.checkin_interval,
        overdue_grace=state.overdue_grace,
        lost_contact_after=state.lost_contact_after,
        sampling_regime=state.sampling_regime,
        sampling_interval=state.sampling_interval,
        sources=tuple(state.expectation_sources or ()),
    )


def policy_changed(sender: Any, *, levels: Iterable[str], **kwargs: Any) -> None:
    """Supervision changed the policy of ``levels``: apply it to everyone of those levels."""
    ids = list(
        MonitorState.objects.filter(
            subject__supervision_level__in=list(levels), subject__status=Subject.Status.IN_SUPERVISION
        ).values_list("subject_id", flat=True)
    )
    recompute_expectations(ids)


def level_changed(sender: Any, *, subject: Subject, **kwargs: Any) -> None:
    """Supervision changed a person's level: apply the new level's values to them."""
    recompute_expectations([subject.pk])
