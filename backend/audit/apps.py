from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "backend.audit"
    label = "audit"
    verbose_name = _("Access log")

    def ready(self) -> None:
        from backend.audit import receivers

        receivers.connect()  # staff logins and logouts (backend.accounts sends them)
