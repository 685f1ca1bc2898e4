from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchivesConfig(AppConfig):
    name = "backend.archives"
    label = "archives"
    verbose_name = _("Archives")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from backend.archives import receivers
        from backend.archives.demo import load_demo_archives
        from backend.archives.services.reports import monthly_report_in
        from backend.archives.services.sources import register_builtin_sources
        from backend.core.demo import register_demo_step
        from backend.monitoring.signals import alert_resolved
        from backend.reminders.upstream import register_monthly_report_in

        register_builtin_sources()
        alert_resolved.connect(receivers.on_alert_resolved, dispatch_uid="archives.alert_resolved")
        register_monthly_report_in(monthly_report_in)
        register_demo_step("archives", load_demo_archives, order=300)
        receivers.register_screening_factor()
