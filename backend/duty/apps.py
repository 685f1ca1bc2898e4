from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DutyConfig(AppConfig):
    name = "backend.duty"
    label = "duty"
    verbose_name = _("Duty roster and escalation")

    def ready(self) -> None:
        from backend.core.demo import register_demo_step
        from backend.duty import demo, services
        from backend.reminders import upstream

        # Reminders wakes the staff on duty for a critical alert (it never imports duty).
        upstream.register_staff_on_duty(services.staff_on_duty)
        register_demo_step("duty roster", demo.add_roster, order=50)

        from django.db.models.signals import post_migrate

        from backend.duty.scheduler import add_jobs_after_migrate

        # A job added to CELERY_BEAT_SCHEDULE joins the database schedule at the next migrate.
        post_migrate.connect(add_jobs_after_migrate, sender=self, dispatch_uid="duty-add-periodic-jobs")
