from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "backend.casework"
    label = "casework"
    verbose_name = _("Casework: leave, positioning orders, curfew")

    def ready(self) -> None:
        from backend.casework import receivers

        receivers.connect()
