from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "backend.core"
    label = "core"
    verbose_name = _("core")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from backend.core import outbox  # noqa: F401  # its task_postrun receiver empties the outbox
