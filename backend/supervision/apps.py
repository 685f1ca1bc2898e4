from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "backend.supervision"
    label = "supervision"
    verbose_name = _("Supervised people and phones")

    def ready(self) -> None:
        from backend.core.demo import register_demo_step
        from backend.supervision import rules
        from backend.supervision.signals import policy_changed

        # A process's short-lived copy of the policies is dropped when one changes here.
        policy_changed.connect(rules.forget_cached_policies, dispatch_uid="supervision-forget-policies")
        # The demo county's level changes, after its people have phones (monitoring's part).
        register_demo_step("supervision level changes", _demo_level_changes, order=20)


def _demo_level_changes() -> str:
    # Imported when the demo runs, not in every server process (it builds the county's shapes).
    from backend.supervision.demo import load_demo_level_changes

    return load_demo_level_changes()
