"""What casework hooks into the floors below it (connected in ``CaseworkConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from backend.supervision.models import Subject


def _policy_changed(sender: Any, *, levels: Any, **kwargs: Any) -> None:
    from backend.casework.services import sync_level_zones

    changed = list(levels)
    transaction.on_commit(lambda: sync_level_zones(changed))


def _level_changed(sender: Any, *, subject: Subject, **kwargs: Any) -> None:
    from backend.casework.services import sync_home_zones

    sync_home_zones(subject)


def _supervision_ended(sender: Any, *, subject: Subject, **kwargs: Any) -> None:
    """Nothing stays open for a person whose supervision ended: the curfew zone goes off, pending
    leave requests are refused and positioning orders end."""
    from backend.casework.services import sync_home_zones
    from backend.casework.services.leave import close_leaves
    from backend.casework.services.orders import close_orders

    subject.status = Subject.Status.ENDED
    sync_home_zones(subject)
    close_leaves(subject, "社区矫正已解除")
    close_orders(subject, "社区矫正已解除")


def connect() -> None:
    from backend.casework.demo import load_demo_casework
    from backend.casework.services import leave_suspensions, positioning_override
    from backend.casework.services.orders import continuous_spans
    from backend.core.demo import register_demo_step
    from backend.monitoring.services.expectations import register_expectation_override
    from backend.monitoring.tracks import register_continuous_spans
    from backend.monitoring.zones import register_zone_suspensions
    from backend.supervision import signals

    register_zone_suspensions(leave_suspensions)
    register_expectation_override(positioning_override)
    register_continuous_spans(continuous_spans)
    signals.policy_changed.connect(_policy_changed, dispatch_uid="casework-policy-changed")
    signals.level_changed.connect(_level_changed, dispatch_uid="casework-level-changed")
    signals.supervision_ended.connect(_supervision_ended, dispatch_uid="casework-supervision-ended")
    register_demo_step("casework", load_demo_casework, order=50)
