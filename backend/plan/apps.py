from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanConfig(AppConfig):
    name = "backend.plan"
    label = "plan"
    verbose_name = _("The plan dashboard")

    def ready(self) -> None:
        from backend.plan import indicators, modules

        indicators.register()
        modules.register()
