from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "backend.supervision"
    label = "supervision"
    verbose_name = _("Supervised people and phones")

    def ready(self) -> None:
        from backend.supervision import rules
        from backend.supervision.signals import policy_changed

        # A process's short-lived copy of the policies is dropped when one changes here.
        policy_changed.connect(rules.forget_cached_policies, dispatch_uid="supervision-forget-policies")
