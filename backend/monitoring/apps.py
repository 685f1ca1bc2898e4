from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "backend.monitoring"
    label = "monitoring"
    verbose_name = _("Location monitoring and alerts")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from backend.monitoring.engine import zones_changed
        from backend.monitoring.models import Zone
        from backend.supervision.models import Subject

        def changed(**kwargs: object) -> None:
            zones_changed()

        # Zones apply through the subject's office too, so a subject moving office counts.
        for model in (Zone, Subject):
            post_save.connect(changed, sender=model, dispatch_uid=f"zones-changed-save-{model.__name__}")
            post_delete.connect(changed, sender=model, dispatch_uid=f"zones-changed-delete-{model.__name__}")
