from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicityConfig(AppConfig):
    name = "backend.publicity"
    label = "publicity"
    verbose_name = _("Legal publicity (普法)")

    def ready(self) -> None:
        from backend.bureau.apps import name_enums

        name_enums(
            {
                "PublicityActivityKindEnum": "backend.publicity.models.Activity.Kind",
                "TrainedVillagerKindEnum": "backend.publicity.models.TrainedVillager.Kind",
                "VolunteerBackgroundEnum": "backend.publicity.models.Volunteer.Background",
                "DemonstrationLevelEnum": "backend.publicity.models.DemonstrationVillage.Level",
                "DemonstrationStatusEnum": "backend.publicity.models.DemonstrationVillage.Status",
            }
        )
        from backend.core.demo import register_demo_step
        from backend.publicity import demo, indicators

        indicators.register()
        register_demo_step("legal publicity", demo.load, order=230)
