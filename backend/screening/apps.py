from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "backend.screening"
    label = "screening"
    verbose_name = _("Quarterly risk screening")

    def ready(self) -> None:
        from backend.core.demo import register_demo_step
        from backend.screening import demo, module_factors, monitoring_factors, tasks

        # The factors this app reads from the floors below (monitoring, reminders, supervision,
        # education, resettlement). Modules above (archives) register theirs in their own ready().
        monitoring_factors.register()
        module_factors.register()
        register_demo_step("screening", demo.finished_screening, order=500)
        tasks.connect_worker_signals()
