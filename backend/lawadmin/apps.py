from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LawadminConfig(AppConfig):
    name = "backend.lawadmin"
    label = "lawadmin"
    verbose_name = _("Law-based administration")

    def ready(self) -> None:
        from backend.bureau.apps import name_enums
        from backend.core.demo import register_demo_step
        from backend.lawadmin import demo, indicators

        indicators.register()
        register_demo_step("law-based administration", demo.load, order=210)
        name_enums(
            {
                "LegalityReviewKindEnum": "backend.lawadmin.models.LegalityReview.Kind",
                "AbilityTestStatusEnum": "backend.lawadmin.models.AbilityTest.Status",
                "InspectionStatusEnum": "backend.lawadmin.models.RuleOfLawInspection.Status",
                "EnforcementFieldEnum": "backend.lawadmin.models.EnforcementField",
                "SupervisorBackgroundEnum": "backend.lawadmin.models.SocialSupervisor.Background",
                "ScriptAwardEnum": "backend.lawadmin.models.MockTrialScript.Award",
            }
        )
