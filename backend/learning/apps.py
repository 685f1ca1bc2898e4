from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    name = "backend.learning"
    label = "learning"
    verbose_name = _("Staff learning (干警教育学习)")

    def ready(self) -> None:
        from backend.bureau.apps import name_enums

        name_enums({"LecturerKindEnum": "backend.learning.models.TrainingClass.LecturerKind"})
        from backend.core.demo import register_demo_step
        from backend.learning import demo, indicators

        indicators.register()
        register_demo_step("staff learning", demo.load, order=250)
