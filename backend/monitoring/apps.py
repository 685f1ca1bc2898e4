from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "backend.monitoring"
    label = "monitoring"
    verbose_name = _("Location monitoring and alerts")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from backend.monitoring.models import Zone
        from backend.monitoring.services import alerts, expectations, phone_status
        from backend.monitoring.zones import zones_changed
        from backend.reminders import upstream
        from backend.supervision.models import Subject
        from backend.supervision.signals import level_changed, phone_enrolled, policy_changed

        def changed(**kwargs: object) -> None:
            zones_changed()

        # Zones apply through the subject's office too, so a subject moving office counts.
        # weak=False: a function made in here is collected once ready() returns (it was, in
        # production servers: zone edits reached no other process).
        for model in (Zone, Subject):
            post_save.connect(
                changed, sender=model, dispatch_uid=f"zones-changed-save-{model.__name__}", weak=False
            )
            post_delete.connect(
                changed, sender=model, dispatch_uid=f"zones-changed-delete-{model.__name__}", weak=False
            )

        # The floors below react to monitoring only through these (they never import it):
        # a phone enrolled is watched from then on,
        phone_enrolled.connect(phone_status.phone_enrolled, dispatch_uid="monitoring-phone-enrolled")
        # a phone pushes no longer reach is a risk warning,
        upstream.phone_unreachable.connect(
            alerts.phone_unreachable, dispatch_uid="monitoring-phone-unreachable"
        )
        # a level's policy or a person's level changed: what is expected of them is recomputed,
        policy_changed.connect(expectations.policy_changed, dispatch_uid="monitoring-policy-changed")
        level_changed.connect(expectations.level_changed, dispatch_uid="monitoring-level-changed")
        # and an upload supersedes the check-in prompts made before it.
        upstream.register_last_upload(phone_status.last_upload)
