from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EducationConfig(AppConfig):
    name = "backend.education"
    label = "education"
    verbose_name = _("Education and community service")

    def ready(self) -> None:
        from backend.core.demo import register_demo_step
        from backend.education.demo import load_demo_sessions

        register_demo_step("education sessions", load_demo_sessions, order=40)
