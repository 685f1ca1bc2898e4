from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicityConfig(AppConfig):
    name = "backend.publicity"
    label = "publicity"
    verbose_name = _("Legal publicity (普法)")

    def ready(self) -> None:
        from backend.core.demo import register_demo_step
        from backend.publicity import demo, indicators

        indicators.register()
        register_demo_step("legal publicity", demo.load, order=230)
