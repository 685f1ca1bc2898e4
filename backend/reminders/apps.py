from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "backend.reminders"
    label = "reminders"
    verbose_name = _("Reminders and push delivery")

    def ready(self) -> None:
        # Tests change PUSH_TRANSPORT with override_settings; drop the cached transport when they do.
        from django.core.signals import setting_changed

        from backend.reminders.push import reset_transport_on_setting_change

        setting_changed.connect(reset_transport_on_setting_change, dispatch_uid="reminders-transport")
