from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "backend.mediation"
    label = "mediation"
    verbose_name = _("Dispute mediation (人民调解)")

    def ready(self) -> None:
        from backend.core.demo import register_demo_step
        from backend.mediation import demo, indicators

        indicators.register()
        register_demo_step("dispute mediation", demo.load, order=240)
