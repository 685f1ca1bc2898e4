"""Electronic positioning orders (电子定位, 社区矫正法第29条).

Requested by the office or the bureau on one of the law's grounds, for at most three months;
in force only once the bureau head approves; extended (with a new reason, again at most three
months) or ended early; expired by itself at the end of its last day. While an order is in force
the phone may be asked for continuous positioning: monitoring's expectations take the override
registered here, and tell the phone with a ``sampling`` command. Without one, the phone is on
information-based verification (信息化核查, 第26条): one fix per due time.

Which regime a fix was taken under follows from the orders' ranges (``starts_at``..``ends_at``)
and the fix's time: nothing is added to the stored fix.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied, ValidationError

from backend.accounts.models import Role, User
from backend.casework import rules
from backend.casework.models import PositioningOrder, PositioningOrderChange
from backend.monitoring.models import SamplingRegime
from backend.monitoring.services.expectations import recompute_expectations
from backend.supervision.models import Subject

Status = PositioningOrder.Status
Change = PositioningOrderChange.Kind
REQUEST_ROLES = frozenset({Role.OFFICER, Role.OFFICE_HEAD, Role.BUREAU_STAFF, Role.BUREAU_HEAD})
END_ROLES = frozenset({Role.BUREAU_STAFF, Role.BUREAU_HEAD})
# Statuses whose range (starts_at..ends_at) was in force.
IN_FORCE_ONCE = (Status.ACTIVE, Status.ENDED, Status.EXPIRED)


def _recompute_after_commit(subject_id: int) -> None:
    transaction.on_commit(lambda: recompute_expectations([subject_id]))


def check_ends_on(ends_on: dt.date, from_day: dt.date, field: str = "ends_on") -> None:
    if ends_on < from_day:
        raise ValidationError(
            {field: [_("The last day cannot be before %(day)s.") % {"day": from_day.isoformat()}]}
        )
    limit = rules.order_limit(from_day)
    if ends_on > limit:
        raise ValidationError(
            {
                field: [
                    _("An order runs at most 3 months: the last day may be %(day)s at the latest.")
                    % {"day": limit.isoformat()}
                ]
            },
            code="too_long",
        )


def _locked(order: PositioningOrder) -> PositioningOrder:
    return PositioningOrder.objects.select_for_update(of=("self",)).select_related("subject").get(pk=order.pk)


def _log(
    order: PositioningOrder, kind: str, user: User | None, reason: str = "", previous: dt.date | None = None
) -> None:
    PositioningOrderChange.objects.create(
        order=order,
        kind=kind,
        reason=reason,
        previous_ends_on=previous,
        ends_on=order.ends_on,
        by=user,
        at=timezone.now(),
    )


@transaction.atomic
def request_order(
    subject: Subject, user: User, *, ground: str, reason: str, ends_on: dt.date
) -> PositioningOrder:
    if user.role not in REQUEST_ROLES:
        raise PermissionDenied(_("Only the office's staff or the bureau may request a positioning order."))
    if ground not in PositioningOrder.Ground.values:
        raise ValidationError({"ground": [_("Not one of the grounds of Article 29.")]})
    check_ends_on(ends_on, rules.local_date(timezone.now()))
    Subject.objects.select_for_update().filter(pk=subject.pk).first()
    open_order = PositioningOrder.objects.filter(
        subject=subject, status__in=[Status.PENDING, Status.ACTIVE]
    ).first()
    if open_order is not None:
        raise ValidationError(
            {
                "subject": [
                    _("This person already has positioning order %(id)s; extend or end it.")
                    % {"id": open_order.pk}
                ]
            },
            code="order_exists",
        )
    return PositioningOrder.objects.create(
        subject=subject, ground=ground, reason=reason, ends_on=ends_on, requested_by=user
    )


def _bureau_head(user: User, message: str) -> None:
    if user.role != Role.BUREAU_HEAD:
        raise PermissionDenied(message)


def approve_order(order: PositioningOrder, user: User) -> PositioningOrder:
    _bureau_head(user, _("Only the bureau head may approve a positioning order."))
    with transaction.atomic():
        order = _locked(order)
        if order.status != Status.PENDING:
            raise ValidationError(
                {"status": [_("Only a pending order can be approved.")]}, code="not_pending"
            )
        now = timezone.now()
        check_ends_on(order.ends_on, rules.local_date(now))
        order.status, order.approved_by = Status.ACTIVE, user
        order.starts_at, order.ends_at = now, rules.end_of_day(order.ends_on)
        order.save(update_fields=["status", "approved_by", "starts_at", "ends_at"])
        _log(order, Change.APPROVED, user)
        _recompute_after_commit(order.subject_id)
    return order


def check_may_extend(user: User) -> None:
    _bureau_head(user, _("Only the bureau head may extend a positioning order."))


def check_may_end(user: User) -> None:
    if user.role not in END_ROLES:
        raise PermissionDenied(_("Only the bureau may end a positioning order."))


def extend_order(order: PositioningOrder, user: User, *, ends_on: dt.date, reason: str) -> PositioningOrder:
    check_may_extend(user)
    with transaction.atomic():
        order = _locked(order)
        if order.status != Status.ACTIVE or (order.ends_at and order.ends_at <= timezone.now()):
            raise ValidationError(
                {"status": [_("Only an order in force can be extended.")]}, code="not_active"
            )
        if ends_on <= order.ends_on:
            raise ValidationError({"ends_on": [_("An extension ends after the current last day.")]})
        check_ends_on(ends_on, order.ends_on)
        previous = order.ends_on
        order.ends_on, order.ends_at = ends_on, rules.end_of_day(ends_on)
        order.save(update_fields=["ends_on", "ends_at"])
        _log(order, Change.EXTENDED, user, reason, previous)
        _recompute_after_commit(order.subject_id)
    return order


def end_order(order: PositioningOrder, user: User, *, reason: str) -> PositioningOrder:
    """End an order early (or withdraw one still pending)."""
    check_may_end(user)
    with transaction.atomic():
        order = _locked(order)
        if order.status not in (Status.PENDING, Status.ACTIVE):
            raise ValidationError({"status": [_("This order is no longer in force.")]}, code="not_active")
        now = timezone.now()
        if order.status == Status.ACTIVE:
            order.ends_at = min(order.ends_at or now, now)
        order.status, order.ended_by, order.end_reason = Status.ENDED, user, reason
        order.save(update_fields=["status", "ends_at", "ended_by", "end_reason"])
        _log(order, Change.ENDED, user, reason)
        _recompute_after_commit(order.subject_id)
    return order


def expire_orders(now: dt.datetime | None = None) -> int:
    """Orders past their last day expire (the phone goes back to verification). Idempotent."""
    now = now or timezone.now()
    expired = 0
    for pk in list(
        PositioningOrder.objects.filter(status=Status.ACTIVE, ends_at__lte=now).values_list("pk", flat=True)
    ):
        with transaction.atomic():
            order = (
                PositioningOrder.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=Status.ACTIVE, ends_at__lte=now)
                .first()
            )
            if order is None:
                continue
            order.status = Status.EXPIRED
            order.save(update_fields=["status"])
            _log(order, Change.EXPIRED, None)
            _recompute_after_commit(order.subject_id)
            expired += 1
    return expired


# ---------------------------------------------------------------------------------------------
# Regimes
# ---------------------------------------------------------------------------------------------


def order_in_force(subject_id: int, at: dt.datetime | None = None) -> PositioningOrder | None:
    at = at or timezone.now()
    return (
        PositioningOrder.objects.filter(
            subject_id=subject_id, status__in=IN_FORCE_ONCE, starts_at__lte=at, ends_at__gt=at
        )
        .order_by("-starts_at")
        .first()
    )


def positioning_override(subject: Subject) -> dict[str, Any] | None:
    """Registered with monitoring's expectations: continuous sampling under an order in force."""
    order = order_in_force(subject.pk)
    if order is None:
        return None
    return {
        "sampling_regime": SamplingRegime.CONTINUOUS,
        "sampling_interval": dt.timedelta(seconds=rules.CONTINUOUS_INTERVAL_S),
        "source": f"positioning_order:{order.pk}",
    }


def regime_periods(subject_id: int, since: dt.datetime, until: dt.datetime) -> list[dict[str, Any]]:
    """``[{from, to, regime, order}]`` covering ``[since, until)``: continuous under an order in
    force, verification elsewhere. A fix's regime is that of the period holding its time."""
    orders = PositioningOrder.objects.filter(
        subject_id=subject_id, status__in=IN_FORCE_ONCE, starts_at__lt=until, ends_at__gt=since
    ).order_by("starts_at")
    periods: list[dict[str, Any]] = []
    cursor = since
    for order in orders:
        assert order.starts_at is not None and order.ends_at is not None
        start, end = max(order.starts_at, cursor), min(order.ends_at, until)
        if end <= start:
            continue
        if start > cursor:
            periods.append(
                {"from": cursor, "to": start, "regime": SamplingRegime.VERIFICATION, "order": None}
            )
        periods.append({"from": start, "to": end, "regime": SamplingRegime.CONTINUOUS, "order": order.pk})
        cursor = end
    if cursor < until:
        periods.append({"from": cursor, "to": until, "regime": SamplingRegime.VERIFICATION, "order": None})
    return periods


def regime_at(periods: list[dict[str, Any]], at: dt.datetime) -> str:
    for period in periods:
        if period["from"] <= at < period["to"]:
            return str(period["regime"])
    return str(SamplingRegime.VERIFICATION)


def continuous_spans(
    subject_id: int, since: dt.datetime, until: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Registered with monitoring's tracks: when the person's phone was under continuous positioning."""
    return [
        (period["from"], period["to"])
        for period in regime_periods(subject_id, since, until)
        if period["regime"] == SamplingRegime.CONTINUOUS
    ]


def close_orders(subject: Subject, reason: str) -> int:
    """The supervision ended: the person's pending and active orders end with it."""
    now = timezone.now()
    closed = 0
    for order in PositioningOrder.objects.select_for_update().filter(
        subject=subject, status__in=[Status.PENDING, Status.ACTIVE]
    ):
        if order.status == Status.ACTIVE:
            order.ends_at = min(order.ends_at or now, now)
        order.status, order.end_reason = Status.ENDED, reason
        order.save(update_fields=["status", "ends_at", "end_reason"])
        _log(order, Change.ENDED, None, reason)
        closed += 1
    if closed:
        _recompute_after_commit(subject.pk)
    return closed
