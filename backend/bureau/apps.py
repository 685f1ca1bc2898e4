from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BureauConfig(AppConfig):
    name = "backend.bureau"
    label = "bureau"
    verbose_name = _("Bureau: units, rectification, indicators")

    def ready(self) -> None:
        from backend.bureau import demo
        from backend.core.demo import register_demo_step

        register_demo_step("bureau units", demo.load_units, order=200)
