"""The factors read from the floors below: monitoring's alerts, reminders, phones, released persons.

Each chunk costs at most four queries whatever its size: the alerts of the quarter grouped by
person and kind, the phones active during the quarter, the unacknowledged reminders grouped by
person and kind (subjects), or the released persons' own rows (released persons).

A subject who had no active phone at any time in the quarter has *no data* for the factors that
only a phone produces (every alert but the leave one, reminders, reachability): silence from a
person we cannot hear is not a low risk.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from backend.core.vocabulary import AlertKind
from backend.monitoring.models import Alert
from backend.reminders.models import Reminder
from backend.screening.factors import Chunk, register_factor
from backend.screening.rules import Fact, PersonKind
from backend.supervision.models import Device, ReleasedPerson

# Which alert kinds each alert factor counts, and whether only a phone can produce them.
ALERT_FACTORS: dict[str, tuple[Any, Any, tuple[str, ...], bool]] = {
    "zone_alerts": (
        _("fence alerts"),
        _("alerts for leaving an inclusion zone or entering or crossing a forbidden zone in the quarter"),
        (AlertKind.LEFT_ZONE, AlertKind.ENTERED_ZONE, AlertKind.CROSSED_ZONE),
        True,
    ),
    "device_alerts": (
        _("phone tampering alerts"),
        _("mock locations, implausible jumps, location permission or GPS turned off in the quarter"),
        (AlertKind.MOCK_LOCATION, AlertKind.TELEPORT, AlertKind.PERMISSION_OFF),
        True,
    ),
    "overdue_episodes": (
        _("overdue check-ins"),
        _("episodes of a missed check-in (check-in overdue alerts) in the quarter"),
        (AlertKind.OFFLINE,),
        True,
    ),
    "lost_contact_episodes": (
        _("suspected loss of contact"),
        _("episodes of suspected loss of contact (疑似脱管) in the quarter"),
        (AlertKind.LOST_CONTACT,),
        True,
    ),
    "curfew_violations": (
        _("curfew violations"),
        _("away from home during curfew, or no answer to the curfew check, in the quarter"),
        (AlertKind.CURFEW, AlertKind.CURFEW_NO_ANSWER),
        True,
    ),
    "leave_violations": (
        _("leave violations"),
        _("not back from an approved leave in time, in the quarter"),
        (AlertKind.LEAVE_OVERDUE,),
        False,
    ),
    "unreachable_phone": (
        _("unreachable phone"),
        _("pushes no longer reaching the phone, or the app suspected uninstalled, in the quarter"),
        (AlertKind.UNREACHABLE, AlertKind.APP_REMOVED),
        True,
    ),
}


def _alert_counts(chunk: Chunk) -> dict[int, dict[str, int]]:
    rows = (
        Alert.objects.filter(
            subject_id__gte=chunk.first_id,
            subject_id__lte=chunk.last_id,
            occurred_at__gte=chunk.window_start,
            occurred_at__lt=chunk.window_end,
        )
        .values_list("subject_id", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[int, dict[str, int]] = {}
    for subject_id, kind, n in rows:
        counts.setdefault(subject_id, {})[kind] = n
    return counts


def _with_phone(chunk: Chunk) -> set[int]:
    """The subjects of the chunk who had an active phone at some time in the quarter."""
    return set(
        Device.objects.filter(
            subject_id__gte=chunk.first_id, subject_id__lte=chunk.last_id, enrolled_at__lt=chunk.window_end
        )
        .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gte=chunk.window_start))
        .order_by()
        .values_list("subject_id", flat=True)
        .distinct()
    ) & set(chunk.person_ids)


def _alert_factor(kinds: tuple[str, ...], needs_phone: bool) -> Any:
    def compute(chunk: Chunk) -> Mapping[int, Fact]:
        counts = chunk.memo("alerts", lambda: _alert_counts(chunk))
        people = chunk.memo("phones", lambda: _with_phone(chunk)) if needs_phone else chunk.person_ids
        found: dict[int, Fact] = {}
        for person_id in people:
            by_kind = counts.get(person_id, {})
            facts = {kind: by_kind[kind] for kind in kinds if by_kind.get(kind)}
            found[person_id] = Fact(value=sum(facts.values()), facts=facts)
        return found

    return compute


def unacknowledged_reminders(chunk: Chunk) -> Mapping[int, Fact]:
    """Reminders sent in the quarter (other than check-in prompts, which an upload answers and
    which the overdue factor already counts) and not acknowledged by the quarter's end."""
    rows = (
        Reminder.objects.filter(
            subject_id__gte=chunk.first_id,
            subject_id__lte=chunk.last_id,
            send_at__gte=chunk.window_start,
            send_at__lt=chunk.window_end,
        )
        .exclude(kind=Reminder.Kind.CHECKIN)
        .filter(Q(acknowledged_at__isnull=True) | Q(acknowledged_at__gte=chunk.window_end))
        .values_list("subject_id", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[int, dict[str, int]] = {}
    for subject_id, kind, n in rows:
        counts.setdefault(subject_id, {})[kind] = n
    people = chunk.memo("phones", lambda: _with_phone(chunk))
    return {pid: Fact(value=sum(counts.get(pid, {}).values()), facts=counts.get(pid, {})) for pid in people}


def _released_rows(chunk: Chunk) -> dict[int, tuple[bool, Any, Any]]:
    return {
        pk: (key, deadline, received)
        for pk, key, deadline, received in ReleasedPerson.objects.filter(
            pk__gte=chunk.first_id, pk__lte=chunk.last_id
        ).values_list("pk", "is_key_person", "handover_deadline", "received_at")
    }


def key_person(chunk: Chunk) -> Mapping[int, Fact]:
    rows = chunk.memo("released", lambda: _released_rows(chunk))
    return {
        pk: Fact(value=1 if key else 0, facts={"key_person": bool(key)}) for pk, (key, _d, _r) in rows.items()
    }


def handover_overdue(chunk: Chunk) -> Mapping[int, Fact]:
    """Not received by the office by the handover deadline (衔接脱节), as of the quarter's end."""
    rows = chunk.memo("released", lambda: _released_rows(chunk))
    found: dict[int, Fact] = {}
    for pk, (_key, deadline, received) in rows.items():
        late = (
            deadline is not None and deadline < chunk.window_end and (received is None or received > deadline)
        )
        facts = {"handover_deadline": deadline.isoformat()} if late else {}
        found[pk] = Fact(value=1 if late else 0, facts=facts)
    return found


def register() -> None:
    for code, (label, description, kinds, needs_phone) in ALERT_FACTORS.items():
        register_factor(
            code,
            label=label,
            description=description,
            kinds={PersonKind.SUBJECT},
            source="monitoring",
            compute=_alert_factor(kinds, needs_phone),
        )
    register_factor(
        "unacknowledged_reminders",
        label=_("unacknowledged reminders"),
        description=_(
            "reminders (monthly report, education, return from leave…) sent in the quarter and "
            "not acknowledged on the phone by its end"
        ),
        kinds={PersonKind.SUBJECT},
        source="reminders",
        compute=unacknowledged_reminders,
    )
    register_factor(
        "key_person",
        label=_("key person"),
        description=_("marked a key person (重点人员)"),
        kinds={PersonKind.RELEASED},
        source="supervision",
        compute=key_person,
    )
    register_factor(
        "handover_overdue",
        label=_("handover overdue"),
        description=_("not received by the office by the handover deadline"),
        kinds={PersonKind.RELEASED},
        source="supervision",
        compute=handover_overdue,
    )
